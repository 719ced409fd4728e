"""Which DXGI adapter DirectML runs on, chosen the way onnxruntime-genai chooses it (pure functions).

onnxruntime-genai's DirectML set-up (src/dml/session_options.cpp, src/dml/dml_helpers.cpp; the same in
0.13.1, 0.14.0 and main) reads exactly two provider options:

- ``luid`` ("HighPart:LowPart", each parsed with ``std::stol``): the adapter with that LUID among the
  hardware adapters of ``IDXGIFactory::EnumAdapters1`` (plain order, software adapters skipped);
- ``device_index``: the N-th hardware adapter in that same plain ``EnumAdapters1`` order;
- neither: the first adapter of ``EnumAdapterByGpuPreference(HIGH_PERFORMANCE)``, where enumeration
  stops at the first software adapter (Windows before 10 1803 has no IDXGIFactory6: plain order).

Anything else, such as ``device_id``, is ignored. The DirectML device is created once per process, by
the first model load that asks for ``dml``; later loads reuse it whatever their options.

bench's own ``device_id`` for ``dml`` counts adapters in the high-performance order (the order
``bench env`` lists them, and the order in which 0 is DirectML's default). bench translates it into
the adapter's LUID and passes ``luid``, so onnxruntime-genai, the result and the DXGI telemetry all
name the same adapter. ``std::stol`` is 32-bit on Windows: a LUID LowPart above 2^31 - 1 cannot be
passed, and bench passes the adapter's plain-order ``device_index`` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bench.errors import BenchError
from bench.telemetry.dxgi import AdapterInfo, DxgiEnumeration, DxgiError, enumerate_adapters
from bench.telemetry.types import DmlAdapter

SELECTORS = ("device_id", "device_index", "luid")
LONG_MAX = 2**31 - 1  # std::stol on Windows (LLP64): long is 32 bits
FIELD = "provider_options.dml"


@dataclass(frozen=True)
class DmlSelection:
    """The adapter DirectML will use, the options that make onnxruntime-genai use it, and how."""

    genai_options: dict[str, str]
    method: str
    adapter: AdapterInfo | None = None
    unavailable: str | None = None  # why the adapter is unknown (no DXGI)

    def record(self) -> DmlAdapter:
        adapter = self.adapter
        return DmlAdapter(
            description=adapter.description if adapter else None,
            luid=adapter.luid if adapter else None,
            vendor_id=adapter.vendor_id if adapter else None,
            device_id=adapter.device_id if adapter else None,
            subsys_id=adapter.subsys_id if adapter else None,
            dedicated_video_memory_mib=adapter.dedicated_video_memory / 2**20 if adapter else None,
            selected_by=self.method,
            genai_options=dict(self.genai_options),
            unavailable=self.unavailable,
        )


def _listing(adapters: Sequence[AdapterInfo]) -> str:
    return "; ".join(f"{i}: {a.label}" for i, a in enumerate(adapters)) or "none"


def _index(options: Mapping[str, str], key: str) -> int:
    value = options[key].strip()
    if not value.isdigit():
        raise BenchError(
            f"dml {key} must be an adapter index (0, 1, ...), got {value!r}", field=f"{FIELD}.{key}"
        )
    return int(value)


def _pin(adapter: AdapterInfo, plain: list[AdapterInfo], how: str, rest: dict[str, str]) -> DmlSelection:
    """Options that make onnxruntime-genai open exactly ``adapter``: its LUID, or its plain index."""
    if 0 <= adapter.luid_low <= LONG_MAX and abs(adapter.luid_high) <= LONG_MAX:
        return DmlSelection({**rest, "luid": adapter.luid}, f"{how} -> luid {adapter.luid}", adapter)
    index = next((i for i, a in enumerate(plain) if a.luid == adapter.luid), None)
    if index is None:
        raise BenchError(
            f"adapter {adapter.label} cannot be passed to onnxruntime-genai: its LUID does not fit std::stol "
            "and EnumAdapters1 does not list it",
            field=FIELD,
        )
    return DmlSelection(
        {**rest, "device_index": str(index)},
        f"{how} -> device_index {index} (LUID {adapter.luid} does not fit onnxruntime-genai's std::stol)",
        adapter,
    )


def select_dml_adapter(
    options: Mapping[str, str], enumeration: DxgiEnumeration | None, *, reason: str | None = None
) -> DmlSelection:
    """Resolve the user's dml options; ``enumeration`` None: DXGI unavailable for ``reason``.

    Raises ``BenchError`` for options that name no adapter, or that bench cannot resolve without DXGI.
    """
    given = [key for key in SELECTORS if key in options]
    if len(given) > 1:
        raise BenchError(
            f"dml takes one of device_id, device_index, luid; got {', '.join(given)}",
            field=FIELD,
            hint="device_id counts adapters as `bench env` lists them; luid pins one exactly",
        )
    rest = {k: v for k, v in options.items() if k not in SELECTORS}
    key = given[0] if given else None
    if enumeration is None:
        why = reason or "DXGI unavailable"
        if key in ("luid", "device_index"):
            return DmlSelection({**rest, key: options[key]}, f"{key} as given", unavailable=why)
        if key is None or _index(options, "device_id") == 0:
            return DmlSelection(rest, "onnxruntime-genai's default adapter", unavailable=why)
        raise BenchError(
            f"dml device_id {options['device_id']} needs DXGI to find the adapter ({why})",
            field=f"{FIELD}.device_id",
            hint="give the adapter's luid (see `bench env`) or onnxruntime-genai's device_index",
        )
    plain = enumeration.plain_hardware()
    if key == "luid":
        wanted = options["luid"].strip()
        match = next((a for a in plain if a.luid == wanted), None)
        if match is None:
            raise BenchError(
                f"no hardware DXGI adapter has LUID {wanted} (adapters: {_listing(plain)})",
                field=f"{FIELD}.luid",
                hint="LUIDs change at reboot: take the current one from `bench env`",
            )
        return _pin(match, plain, f"luid {wanted}", rest)
    if key == "device_index":
        index = _index(options, "device_index")
        if index >= len(plain):
            raise BenchError(
                f"dml device_index {index}: onnxruntime-genai's EnumAdapters1 order has {len(plain)} "
                f"hardware adapter(s) ({_listing(plain)})",
                field=f"{FIELD}.device_index",
            )
        chosen = plain[index]
        return DmlSelection(
            {**rest, "device_index": str(index)}, f"device_index {index} (EnumAdapters1 order)", chosen
        )
    ordered = enumeration.default_order()
    index = _index(options, "device_id") if key == "device_id" else 0
    if index >= len(ordered):
        raise BenchError(
            f"dml device_id {index}: DirectML sees {len(ordered)} hardware adapter(s) in "
            f"high-performance order ({_listing(ordered)})",
            field=f"{FIELD}.device_id",
        )
    how = f"device_id {index} (high-performance order)" if key else "default: first in high-performance order"
    return _pin(ordered[index], plain, how, rest)


def resolve_dml_adapter(
    options: Mapping[str, str], *, enumerate_dxgi: Callable[[], DxgiEnumeration] = enumerate_adapters
) -> DmlSelection:
    """``select_dml_adapter`` over what DXGI lists now (nothing, with the reason, off Windows)."""
    try:
        enumeration: DxgiEnumeration | None = enumerate_dxgi()
        reason = None
    except DxgiError as exc:
        enumeration, reason = None, exc.reason
    return select_dml_adapter(options, enumeration, reason=reason)
