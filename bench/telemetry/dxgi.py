"""Per-process video memory on Windows through DXGI ``IDXGIAdapter3::QueryVideoMemoryInfo``.

Under WDDM, NVML cannot say how much GPU memory one process uses, and DirectML (D3D12) processes are not
CUDA processes at all. DXGI can: ``CurrentUsage`` of the LOCAL segment group is this process's dedicated
video memory, of the NON_LOCAL group its shared system memory (growth there is a spill).

Everything Windows-specific sits behind ``VideoMemoryReader``; tests use a fake. The ctypes COM path
below is import-safe on Linux and never called there. It is UNTESTED ON REAL HARDWARE: nobody has run it
on Windows yet (see docs/TELEMETRY.md). Both enumeration orders onnxruntime-genai uses are read here
(``EnumAdapterByGpuPreference(HIGH_PERFORMANCE)`` and plain ``EnumAdapters1``); which adapter DirectML
runs on is decided in bench/telemetry/adapters.py, and the reader opens that adapter by its LUID.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

NVIDIA_VENDOR_ID = 0x10DE
MICROSOFT_VENDOR_ID = 0x1414
_BASIC_RENDER_DEVICE_ID = 0x8C
_DXGI_ADAPTER_FLAG_SOFTWARE = 0x2
_DXGI_GPU_PREFERENCE_HIGH_PERFORMANCE = 2
_DXGI_MEMORY_SEGMENT_GROUP_LOCAL = 0
_DXGI_MEMORY_SEGMENT_GROUP_NON_LOCAL = 1
_DXGI_ERROR_NOT_FOUND = -2005270526  # 0x887A0002 as a signed HRESULT
_E_NOINTERFACE = -2147467262  # 0x80004002

# vtable slots (IUnknown 0-2, IDXGIObject 3-6, then each interface's methods in header order)
_RELEASE = 2
_QUERY_INTERFACE = 0
_FACTORY1_ENUM_ADAPTERS1 = 12
_FACTORY6_ENUM_ADAPTER_BY_GPU_PREFERENCE = 29
_ADAPTER1_GET_DESC1 = 10
_ADAPTER3_QUERY_VIDEO_MEMORY_INFO = 14

_IID_FACTORY1 = "770aae78-f26f-4dba-a829-253c83d1b387"
_IID_FACTORY6 = "c1b6694f-ff09-44a9-b03c-77900a0a1d17"
_IID_ADAPTER3 = "645967a4-1392-4310-a798-8053ce3e93fd"


class _NoFactory6(Exception):
    """Windows before 10 1803: no ``EnumAdapterByGpuPreference``."""


class DxgiError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@contextlib.contextmanager
def _as_dxgi_error(what: str) -> Iterator[None]:
    """ctypes failures (a missing export, a bad vtable call) as ``DxgiError``: this code is untested on
    real hardware, and a mistake in it must read "unavailable", not end a run."""
    try:
        yield
    except (OSError, AttributeError, ValueError, TypeError, ctypes.ArgumentError) as exc:
        raise DxgiError(f"{what} failed: {type(exc).__name__}: {exc}") from None


@dataclass(frozen=True)
class AdapterInfo:
    """``DXGI_ADAPTER_DESC1`` of one adapter, as needed to find the NVML device behind it."""

    description: str
    vendor_id: int
    device_id: int
    subsys_id: int
    revision: int
    luid_high: int
    luid_low: int
    dedicated_video_memory: int

    @property
    def luid(self) -> str:
        """In onnxruntime-genai's ``luid`` provider-option format: ``HighPart:LowPart``."""
        return f"{self.luid_high}:{self.luid_low}"

    @property
    def label(self) -> str:
        return f"{self.description} (LUID {self.luid})"


@dataclass(frozen=True)
class DxgiEnumeration:
    """The adapters DXGI lists, in both orders onnxruntime-genai uses: (adapter, is software)."""

    plain: Sequence[tuple[AdapterInfo, bool]]
    high_performance: Sequence[tuple[AdapterInfo, bool]] | None  # None: no IDXGIFactory6

    def plain_hardware(self) -> list[AdapterInfo]:
        """``device_index`` and ``luid`` order: EnumAdapters1, software adapters skipped."""
        return [adapter for adapter, software in self.plain if not software]

    def default_order(self) -> list[AdapterInfo]:
        """Without options: high-performance order up to the first software adapter."""
        if self.high_performance is None:
            return self.plain_hardware()
        found = []
        for adapter, software in self.high_performance:
            if software:  # genai stops here: what follows is software or remote (IDD) adapters
                break
            found.append(adapter)
        return found


@dataclass(frozen=True)
class VideoMemoryInfo:
    """``DXGI_QUERY_VIDEO_MEMORY_INFO`` in bytes; ``current_usage`` is this process's usage."""

    budget: int
    current_usage: int
    available_for_reservation: int = 0
    current_reservation: int = 0


class VideoMemoryReader(Protocol):
    """This process's video memory on one adapter."""

    @property
    def adapter(self) -> AdapterInfo: ...

    def query(self) -> tuple[VideoMemoryInfo, VideoMemoryInfo]:
        """(local, non_local); raises ``DxgiError``."""
        ...

    def close(self) -> None: ...


def open_video_memory_reader(*, luid: str) -> VideoMemoryReader:
    """The reader for the hardware adapter with ``luid``; raises ``DxgiError`` (always, off Windows)."""
    if sys.platform != "win32":
        raise DxgiError("DXGI exists on Windows only")
    with _as_dxgi_error("opening the DXGI adapter"):  # pragma: no cover - Windows only
        return _ComReader.open(luid=luid)


def enumerate_adapters() -> DxgiEnumeration:
    """Adapters in both of onnxruntime-genai's orders; raises ``DxgiError`` off Windows."""
    if sys.platform != "win32":
        raise DxgiError("DXGI exists on Windows only")
    with _as_dxgi_error("enumerating DXGI adapters"):  # pragma: no cover - Windows only
        plain = _describe_all(by_preference=False)
        try:
            high = _describe_all(by_preference=True)
        except _NoFactory6:
            high = None
    return DxgiEnumeration(plain=plain, high_performance=high)  # pragma: no cover - Windows only


def list_adapters() -> list[AdapterInfo]:
    """Hardware adapters in DirectML's default order (``bench env``; dml ``device_id`` counts these)."""
    return enumerate_adapters().default_order()


# -- ctypes COM (Windows only; nothing below runs on import) --------------------------------------


class _GUID(ctypes.Structure):
    _fields_ = [
        ("Data1", ctypes.c_uint32),
        ("Data2", ctypes.c_uint16),
        ("Data3", ctypes.c_uint16),
        ("Data4", ctypes.c_ubyte * 8),
    ]

    @classmethod
    def parse(cls, text: str) -> _GUID:
        return cls.from_buffer_copy(uuid.UUID(text).bytes_le)


class _LUID(ctypes.Structure):
    _fields_ = [("LowPart", ctypes.c_uint32), ("HighPart", ctypes.c_int32)]


class _AdapterDesc1(ctypes.Structure):
    # WCHAR is 2 bytes on Windows, where alone this struct is used.
    _fields_ = [
        ("Description", ctypes.c_wchar * 128),
        ("VendorId", ctypes.c_uint),
        ("DeviceId", ctypes.c_uint),
        ("SubSysId", ctypes.c_uint),
        ("Revision", ctypes.c_uint),
        ("DedicatedVideoMemory", ctypes.c_size_t),
        ("DedicatedSystemMemory", ctypes.c_size_t),
        ("SharedSystemMemory", ctypes.c_size_t),
        ("AdapterLuid", _LUID),
        ("Flags", ctypes.c_uint),
    ]


class _QueryVideoMemoryInfo(ctypes.Structure):
    _fields_ = [
        ("Budget", ctypes.c_uint64),
        ("CurrentUsage", ctypes.c_uint64),
        ("AvailableForReservation", ctypes.c_uint64),
        ("CurrentReservation", ctypes.c_uint64),
    ]


def _method(pointer: ctypes.c_void_p, slot: int, *argtypes: Any, restype: Any = ctypes.c_long) -> Any:
    """The COM method in ``slot`` of the object's vtable, callable with the object as first argument."""
    vtable = ctypes.cast(pointer, ctypes.POINTER(ctypes.POINTER(ctypes.c_void_p)))[0]
    prototype = ctypes.WINFUNCTYPE(restype, ctypes.c_void_p, *argtypes)  # type: ignore[attr-defined]
    return prototype(vtable[slot])


def _release(pointer: ctypes.c_void_p) -> None:
    if pointer:
        _method(pointer, _RELEASE, restype=ctypes.c_ulong)(pointer)


def _check(hresult: int, what: str) -> None:
    if hresult < 0:
        raise DxgiError(f"{what} failed (HRESULT {hresult & 0xFFFFFFFF:#010x})")


def _describe(adapter: ctypes.c_void_p) -> tuple[AdapterInfo, bool]:
    desc = _AdapterDesc1()
    _check(
        _method(adapter, _ADAPTER1_GET_DESC1, ctypes.POINTER(_AdapterDesc1))(adapter, ctypes.byref(desc)),
        "IDXGIAdapter1::GetDesc1",
    )
    software = bool(desc.Flags & _DXGI_ADAPTER_FLAG_SOFTWARE) or (
        desc.VendorId == MICROSOFT_VENDOR_ID and desc.DeviceId == _BASIC_RENDER_DEVICE_ID
    )
    info = AdapterInfo(
        description=desc.Description,
        vendor_id=desc.VendorId,
        device_id=desc.DeviceId,
        subsys_id=desc.SubSysId,
        revision=desc.Revision,
        luid_high=desc.AdapterLuid.HighPart,
        luid_low=desc.AdapterLuid.LowPart,
        dedicated_video_memory=desc.DedicatedVideoMemory,
    )
    return info, software


def _enumerate(*, by_preference: bool) -> list[tuple[ctypes.c_void_p, AdapterInfo, bool]]:  # pragma: no cover
    """(IDXGIAdapter3*, info, is software) for every adapter, in high-performance or plain order."""
    try:
        dxgi = ctypes.WinDLL("dxgi")  # type: ignore[attr-defined]
    except OSError as exc:
        raise DxgiError(f"dxgi.dll could not be loaded: {exc}") from None
    create = dxgi.CreateDXGIFactory1
    create.restype = ctypes.c_long
    create.argtypes = [ctypes.POINTER(_GUID), ctypes.POINTER(ctypes.c_void_p)]
    iid_adapter3 = _GUID.parse(_IID_ADAPTER3)
    factory = ctypes.c_void_p()
    if by_preference:
        if create(ctypes.byref(_GUID.parse(_IID_FACTORY6)), ctypes.byref(factory)) < 0:
            raise _NoFactory6()
    else:
        _check(create(ctypes.byref(_GUID.parse(_IID_FACTORY1)), ctypes.byref(factory)), "CreateDXGIFactory1")
    found: list[tuple[ctypes.c_void_p, AdapterInfo, bool]] = []
    try:
        index = 0
        while True:
            adapter = ctypes.c_void_p()
            if by_preference:
                hr = _method(
                    factory,
                    _FACTORY6_ENUM_ADAPTER_BY_GPU_PREFERENCE,
                    ctypes.c_uint,
                    ctypes.c_int,
                    ctypes.POINTER(_GUID),
                    ctypes.POINTER(ctypes.c_void_p),
                )(
                    factory,
                    index,
                    _DXGI_GPU_PREFERENCE_HIGH_PERFORMANCE,
                    ctypes.byref(iid_adapter3),
                    ctypes.byref(adapter),
                )
            else:
                adapter1 = ctypes.c_void_p()
                hr = _method(
                    factory, _FACTORY1_ENUM_ADAPTERS1, ctypes.c_uint, ctypes.POINTER(ctypes.c_void_p)
                )(factory, index, ctypes.byref(adapter1))
                if hr >= 0:
                    hr = _method(
                        adapter1, _QUERY_INTERFACE, ctypes.POINTER(_GUID), ctypes.POINTER(ctypes.c_void_p)
                    )(adapter1, ctypes.byref(iid_adapter3), ctypes.byref(adapter))
                    _release(adapter1)
                    if hr == _E_NOINTERFACE:
                        raise DxgiError("IDXGIAdapter3 unavailable (Windows 10 or later needed)")
            if hr == _DXGI_ERROR_NOT_FOUND:
                break
            _check(hr, "adapter enumeration")
            index += 1
            info, software = _describe(adapter)
            found.append((adapter, info, software))
    except BaseException:
        for pointer, _, _ in found:
            _release(pointer)
        raise
    finally:
        _release(factory)
    return found


def _describe_all(*, by_preference: bool) -> list[tuple[AdapterInfo, bool]]:  # pragma: no cover
    adapters = _enumerate(by_preference=by_preference)
    for pointer, _, _ in adapters:
        _release(pointer)
    return [(info, software) for _, info, software in adapters]


class _ComReader:  # pragma: no cover - Windows only
    """``VideoMemoryReader`` over a live ``IDXGIAdapter3``."""

    def __init__(self, pointer: ctypes.c_void_p, adapter: AdapterInfo) -> None:
        self._pointer = pointer
        self._adapter = adapter
        self._query = _method(
            pointer,
            _ADAPTER3_QUERY_VIDEO_MEMORY_INFO,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.POINTER(_QueryVideoMemoryInfo),
        )

    @classmethod
    def open(cls, *, luid: str) -> _ComReader:
        adapters = _enumerate(by_preference=False)
        hardware = [(pointer, info) for pointer, info, software in adapters if not software]
        chosen = next(((pointer, info) for pointer, info in hardware if info.luid == luid), None)
        for pointer, _, _ in adapters:
            if chosen is None or pointer is not chosen[0]:
                _release(pointer)
        if chosen is None:
            raise DxgiError(f"no hardware DXGI adapter with LUID {luid} ({len(adapters)} adapters found)")
        return cls(*chosen)

    @property
    def adapter(self) -> AdapterInfo:
        return self._adapter

    def query(self) -> tuple[VideoMemoryInfo, VideoMemoryInfo]:
        with _as_dxgi_error("QueryVideoMemoryInfo"):
            return (
                self._read(_DXGI_MEMORY_SEGMENT_GROUP_LOCAL),
                self._read(_DXGI_MEMORY_SEGMENT_GROUP_NON_LOCAL),
            )

    def _read(self, group: int) -> VideoMemoryInfo:
        info = _QueryVideoMemoryInfo()
        _check(self._query(self._pointer, 0, group, ctypes.byref(info)), "QueryVideoMemoryInfo")
        return VideoMemoryInfo(
            budget=info.Budget,
            current_usage=info.CurrentUsage,
            available_for_reservation=info.AvailableForReservation,
            current_reservation=info.CurrentReservation,
        )

    def close(self) -> None:
        pointer, self._pointer = self._pointer, ctypes.c_void_p()
        _release(pointer)
