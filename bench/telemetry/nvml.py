"""The only module that imports ``pynvml`` (from the ``nvidia-ml-py`` package).

A narrow wrapper over a pynvml-like module: tests pass a scripted fake, production passes the real
module. Every failure becomes ``NvmlError`` with a reason a person can act on ("NVML library not
found: no NVIDIA driver on this machine"), never a zero or a crash further up.

pynvml generates one ``NVMLError`` subclass per error code at import time, so code catches the base
class and reads ``.value``.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

# By constant name, so the mapping follows whatever numbers the module defines.
_REASONS = {
    "NVML_ERROR_LIBRARY_NOT_FOUND": "NVML library not found: no NVIDIA driver on this machine",
    "NVML_ERROR_DRIVER_NOT_LOADED": "NVIDIA driver not loaded (is the kernel module installed and loaded?)",
    "NVML_ERROR_NO_PERMISSION": "no permission to query the GPU (run as a user with access to the device)",
    "NVML_ERROR_NOT_SUPPORTED": "not supported on this GPU/driver (GeForce parts have limited NVML support)",
    "NVML_ERROR_FUNCTION_NOT_FOUND": "not in this driver's NVML (driver too old)",
    "NVML_ERROR_GPU_IS_LOST": "GPU is lost (fell off the bus or hung; reset or reboot)",
    "NVML_ERROR_LIB_RM_VERSION_MISMATCH": "NVML and kernel driver differ (reboot after a driver update)",
    "NVML_ERROR_UNINITIALIZED": "NVML not initialized",
    "NVML_ERROR_INVALID_ARGUMENT": "invalid argument (device index out of range?)",
    "NVML_ERROR_NOT_FOUND": "not found",
    "NVML_ERROR_TIMEOUT": "NVML call timed out",
    "NVML_ERROR_ARGUMENT_VERSION_MISMATCH": "struct version not supported by this driver",
    "NVML_ERROR_NO_DATA": "no data",
}


class NvmlError(Exception):
    """An NVML call failed; ``reason`` is the text results show after "unavailable:"."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class _Never(Exception):
    """Stands in for an exception type a binding does not define: never raised."""


def import_pynvml() -> ModuleType:
    """The real pynvml module, or ``NvmlError`` saying how to get it."""
    try:
        with warnings.catch_warnings():
            # The deprecated PyPI "pynvml" shim warns on import; the module itself is the same.
            warnings.simplefilter("ignore", FutureWarning)
            import pynvml
    except ImportError as exc:
        raise NvmlError(f"nvidia-ml-py is not installed ({exc}); pip install nvidia-ml-py") from None
    return pynvml


class Nvml:
    """An initialised NVML session over ``module`` (real pynvml or a fake with the same surface)."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.error_type: type[BaseException] = module.NVMLError
        self._reasons = {
            getattr(module, name): text for name, text in _REASONS.items() if hasattr(module, name)
        }
        self._open = False

    @classmethod
    def open(cls, module: Any | None = None) -> Nvml:
        """``nvmlInit`` on ``module`` (default: the real pynvml); raises ``NvmlError`` with the reason."""
        nvml = cls(module if module is not None else import_pynvml())
        try:
            nvml.call("nvmlInit")
        except NvmlError:
            raise
        except OSError as exc:  # a broken library file surfaces as an OSError from ctypes
            raise NvmlError(f"NVML library could not be loaded: {exc}") from None
        nvml._open = True
        return nvml

    def reason(self, exc: BaseException) -> str:
        code = getattr(exc, "value", None)
        text = self._reasons.get(code)
        if text is None:
            text = f"NVML error {code}: {exc}" if code is not None else f"NVML error: {exc}"
        return text

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self.bind(name, *args, **kwargs)()

    def bind(self, name: str | tuple[str, ...], *args: Any, **kwargs: Any) -> Callable[[], Any]:
        """A zero-argument reader for the sampler's hot path: the lookup happens once, here.

        ``name`` may list alternatives, newest first. The binding may have a name whose driver entry
        point an older driver lacks (nvidia-ml-py 13 has ``...ClocksEventReasons``, a driver before R535
        only ``...ClocksThrottleReasons``), so a "function not found" moves the reader on to the next
        name for good instead of ending it.
        """
        names = (name,) if isinstance(name, str) else name
        candidates = [fn for fn in (getattr(self.module, n, None) for n in names) if fn is not None]
        if not candidates:
            raise NvmlError(f"{names[0]} is not in this nvidia-ml-py version (upgrade nvidia-ml-py)")
        error_type, reason, missing = self.error_type, self.reason, self._function_not_found
        # pynvml raises this plain Exception (not an NVMLError) when the driver lacks the versioned
        # entry point a call is pinned to (e.g. the _v3 process lists on an old driver).
        mismatch_type = getattr(self.module, "NVMLLibraryMismatchError", None) or _Never

        def read() -> Any:
            while True:
                fn = candidates[0]
                try:
                    return fn(*args, **kwargs)
                except mismatch_type as exc:
                    if len(candidates) > 1:
                        candidates.pop(0)
                        continue
                    raise NvmlError(f"not in this driver's NVML (driver too old): {exc}") from None
                except error_type as exc:
                    code = getattr(exc, "value", None)
                    if code == missing and len(candidates) > 1:
                        candidates.pop(0)
                        continue
                    raise NvmlError(reason(exc), code) from None

        return read

    @property
    def _function_not_found(self) -> Any:
        return getattr(self.module, "NVML_ERROR_FUNCTION_NOT_FOUND", None)

    def constant(self, name: str) -> Any:
        """A module constant, or None when this binding predates it (e.g. newer architectures)."""
        return getattr(self.module, name, None)

    def close(self) -> None:
        if self._open:
            self._open = False
            with contextlib.suppress(NvmlError):  # shutting down a lost GPU must not hide the run's result
                self.call("nvmlShutdown")


def text(value: Any) -> str:
    """pynvml returns str from most calls but bytes from struct fields (``pci.busId``)."""
    if isinstance(value, bytes):
        return value.decode(errors="replace").rstrip("\x00")
    return str(value)
