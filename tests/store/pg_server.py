"""A throwaway PostgreSQL server on loopback, in a temporary folder, for the store's tests and benchmark.

Debian's binaries (``initdb``, ``pg_ctl``: on PATH or in /usr/lib/postgresql/N/bin). PostgreSQL refuses
to run as root, so under root (CI) the server runs as the ``postgres`` user the Debian package creates,
through ``runuser``. The superuser ``bench`` has a password, and TCP connections must give it (SCRAM),
so the tests exercise a real password the way a lab's URL carries one.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

USER = "bench"


class ServerUnavailable(RuntimeError):
    """The server could not be started here; the message says why."""


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    password: str

    def url(self, database: str = "postgres", *, password: str | None = None) -> str:
        secret = self.password if password is None else password
        return f"postgresql+psycopg://{self.user}:{secret}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname="postgres",
            autocommit=True,
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')  # name: test-made identifier, never user input
        return self.url(name)


def find_binaries() -> Path:
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if versions:
        return versions[-1].parent
    raise ServerUnavailable("PostgreSQL binaries not found (apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server() -> Iterator[Server]:
    """Start a server (initdb + pg_ctl), yield it, stop it and delete its folder."""
    if os.name == "nt":
        raise ServerUnavailable("the test server is started with Debian's PostgreSQL binaries (Linux only)")
    binaries = find_binaries()
    prefix: list[str] = []
    # Under root the server runs as postgres, which must reach its folder: /tmp, not a private TMPDIR.
    shared_tmp = "/tmp" if os.geteuid() == 0 and Path("/tmp").is_dir() else None
    folder = Path(tempfile.mkdtemp(prefix="bench-pg-", dir=shared_tmp))
    try:
        if os.geteuid() == 0:
            import pwd

            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                raise ServerUnavailable(
                    "running as root and there is no postgres user to run the server"
                ) from None
            runuser = shutil.which("runuser")
            if runuser is None:
                raise ServerUnavailable("running as root and runuser is missing")
            os.chown(folder, account.pw_uid, account.pw_gid)
            prefix = [runuser, "-u", "postgres", "--"]
        password = secrets.token_urlsafe(16)
        pwfile = folder / "pw"
        pwfile.write_text(password + "\n")
        if prefix:
            os.chown(pwfile, account.pw_uid, account.pw_gid)
        data = folder / "data"
        _run(
            [
                *prefix,
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                USER,
                f"--pwfile={pwfile}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            "initdb",
        )
        pwfile.unlink()
        port = _free_port()
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        _run(
            [
                *prefix,
                str(binaries / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(folder / "log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            "pg_ctl start",
            log=folder / "log",
        )
        try:
            yield Server(host="127.0.0.1", port=port, user=USER, password=password)
        finally:
            subprocess.run(
                [*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                check=False,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(command: list[str], what: str, *, log: Path | None = None) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        tail = (log.read_text(errors="replace") if log and log.exists() else done.stderr or done.stdout)[
            -600:
        ]
        raise ServerUnavailable(f"{what} failed (exit {done.returncode}): {tail.strip()}")
