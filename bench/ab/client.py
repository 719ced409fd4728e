"""Start a worker under a side's Python and talk to it.

Which bench the worker runs: the side's Python's own, when it has one (that is how two bench builds
are compared, each installed in its own environment); otherwise this bench's source folder is put on
its ``sys.path``, and the environment only has to provide onnxruntime-genai and bench's dependencies.
The handshake says which it was, and refuses a worker that speaks another protocol version.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import bench
from bench.ab.protocol import PROTOCOL_VERSION, receive, send
from bench.errors import BenchError

SOURCE_ROOT = Path(bench.__file__).resolve().parent.parent

# Runs `bench.ab.worker` from the side's own bench, else from this bench's source folder; never from
# whatever folder the command was started in (``-c`` puts the working folder first on sys.path).
_BOOTSTRAP = (
    "import importlib.util, sys\n"
    "sys.path[:] = [p for p in sys.path if p not in ('', '.')]\n"
    "if importlib.util.find_spec('bench') is None:\n"
    "    sys.path.insert(0, sys.argv[1])\n"
    "from bench.ab.worker import main\n"
    "main()\n"
)


class Talker(Protocol):
    """What the rounds need of a worker: a ``Worker``, or one side's channel to a shared one."""

    @property
    def hello(self) -> dict[str, Any]: ...

    def request(self, message: dict[str, Any], *, during: str) -> dict[str, Any]: ...

    def close(self) -> None: ...


class WorkerError(BenchError):
    """A worker refused a request or went away: the side's label is the field."""


class Worker:
    """One side's worker process. ``request`` sends one message and returns the reply (or raises)."""

    def __init__(self, *, label: str, python: Path, env: Mapping[str, str]) -> None:
        self.label = label
        self.python = python
        creation = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)  # Windows only
        try:
            self.process = subprocess.Popen(
                [str(python), "-c", _BOOTSTRAP, str(SOURCE_ROOT)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,  # the worker's own logging goes to ours, where the user sees it
                env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
                text=True,
                encoding="utf-8",
                creationflags=creation,
                # Ctrl-C in a terminal reaches the whole process group; the worker ignores it and the
                # driver stops between points. POSIX: a new session keeps it out of the group at all.
                start_new_session=sys.platform != "win32",
            )
        except OSError as exc:
            raise BenchError(
                f"cannot start {python}: {exc.strerror or exc}",
                field=f"--{label}-python",
                hint="give the path of a Python interpreter (e.g. .venv/bin/python)",
            ) from None
        self.hello = self._read(during="start-up")
        if self.hello.get("protocol") != PROTOCOL_VERSION:
            self.close()
            raise BenchError(
                f"the worker's bench ({self.hello.get('bench_path')}) speaks ab protocol "
                f"{self.hello.get('protocol')}, this bench speaks {PROTOCOL_VERSION}",
                field=f"--{label}-python {python}",
                hint="install the same bench version into that environment, or uninstall it there",
            )

    def _read(self, *, during: str) -> dict[str, Any]:
        assert self.process.stdout is not None
        try:
            message = receive(self.process.stdout)
        except ValueError as exc:
            message, problem = None, str(exc)
        else:
            problem = "it exited" if message is None else ""
        if message is None:
            code = self.process.poll()
            raise BenchError(
                f"the {self.label} worker ({self.python}) failed during {during}: {problem}"
                f"{f' with code {code}' if code is not None else ''}",
                field=f"--{self.label}-python",
                hint="its error is printed above; that Python needs bench's dependencies "
                "(pip install bench[cpu] there, or make it with --system-site-packages)",
            )
        return message

    def request(self, message: dict[str, Any], *, during: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        with contextlib.suppress(OSError):  # a worker that died: _read reports how
            send(self.process.stdin, message)
        reply = self._read(during=during)
        if not reply.get("ok"):
            hint, where = reply.get("hint"), reply.get("field")
            raise WorkerError(
                f"{f'{where}: ' if where else ''}{reply.get('error')}",
                field=f"{self.label} side",
                hint=hint,
            )
        return reply

    def close(self) -> None:
        """Ask the worker to quit; kill it if it does not within a few seconds. Closing twice is fine."""
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                send(self.process.stdin, {"op": "quit"})
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                with contextlib.suppress(OSError):
                    stream.close()


class SideChannel:
    """One side's view of a worker that holds both sides: its requests carry the side's key, and only
    the channel that owns the worker closes it."""

    def __init__(self, worker: Any, key: str, *, owns: bool) -> None:
        self.worker, self.key, self.owns = worker, key, owns

    @property
    def hello(self) -> dict[str, Any]:
        return dict(self.worker.hello)

    def request(self, message: dict[str, Any], *, during: str) -> dict[str, Any]:
        try:
            return dict(self.worker.request({**message, "side": self.key}, during=during))
        except WorkerError as exc:  # the shared worker's label is not this side's: name the side
            raise WorkerError(exc.message, field=f"{self.key} side", hint=exc.hint) from None

    def close(self) -> None:
        if self.owns:
            self.worker.close()
