"""Qualification profiles: the criteria a machine is held to, as a YAML file a lab can copy and edit.

Every threshold carries its unit in its name (``_gib``, ``_mib``, ``_pct``, ``_s``) and a validated
range; unknown keys are refused, so a typo never silently drops a criterion. Profiles ship in the
package (``default`` for GPUs, ``smoke`` for a CPU-only machine); ``--profile`` takes a name or a path.
The profile's hash (of the validated content, not of the file's bytes) goes into the report.
"""

from __future__ import annotations

import hashlib
import json
import typing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bench.documents import DocumentKind
from bench.errors import BenchError
from bench.metrics import METRICS
from bench.providers import Provider
from bench.qualify.driver import parse_driver_version

# Oldest first; the names bench.telemetry.gpu gives NVML's architecture codes.
Architecture = Literal[
    "kepler", "maxwell", "pascal", "volta", "turing", "ampere", "ada", "hopper", "blackwell", "rubin"
]
ARCHITECTURES: tuple[str, ...] = typing.get_args(Architecture)
PROFILE_SUFFIXES = (".yaml", ".yml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class InventoryCriteria(_Strict):
    """Stage 1: the GPU against the model cards' supported-hardware statements."""

    architecture_min: Architecture = "ampere"
    vram_total_min_gib: float = Field(default=5.9, gt=0, le=1024, allow_inf_nan=False)
    driver_min_version: str = "565.00"
    pcie_link_min_pct_of_max: float = Field(default=100.0, gt=0, le=100, allow_inf_nan=False)
    pcie_width_min_lanes: int | None = Field(
        default=None,
        ge=1,
        le=32,
        description="also require this many lanes: NVML's maximum is the card's AND the slot's, so an x16 "
        "card in an x8 slot reads x8 of x8",
    )
    power_limit_min_pct_of_default: float = Field(default=95.0, gt=0, le=200, allow_inf_nan=False)
    require_persistence_mode: bool = False
    require_ecc: bool = False

    @field_validator("driver_min_version")
    @classmethod
    def _driver(cls, value: str) -> str:
        if parse_driver_version(value) is None:
            raise ValueError(f"{value!r} is not an NVIDIA driver version (write e.g. '565.00' or 'R565')")
        return value


class MemoryBudget(_Strict):
    """VRAM a model may use, in MiB (see docs/QUALIFICATION.md for where the defaults come from)."""

    after_load_min_mib: float | None = Field(
        default=None,
        gt=0,
        le=1_048_576,
        allow_inf_nan=False,
        description="less: the weights are not on the GPU",
    )
    after_load_max_mib: float = Field(gt=0, le=1_048_576, allow_inf_nan=False)
    peak_max_mib: float = Field(gt=0, le=1_048_576, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> MemoryBudget:
        if self.after_load_min_mib is not None and self.after_load_min_mib > self.after_load_max_mib:
            raise ValueError("after_load_min_mib is above after_load_max_mib")
        if self.peak_max_mib < self.after_load_max_mib:
            raise ValueError("peak_max_mib is below after_load_max_mib (the peak includes the weights)")
        return self


class FunctionCriteria(_Strict):
    """Stage 2: each model loads, generates exactly the forced tokens, deterministically, within budget."""

    prompt_tokens: int = Field(default=512, ge=1, le=1_000_000)
    batch_size: int = Field(default=1, ge=1, le=1024)
    output_tokens: int = Field(default=64, ge=2, le=100_000)
    warmup: int = Field(default=1, ge=0, le=100)
    repetitions: int = Field(
        default=3, ge=2, le=1000, description="at least 2: determinism needs a second run"
    )
    memory_budgets: dict[str, MemoryBudget] = Field(
        default_factory=dict, description="model (registry name or twin key) -> VRAM budget"
    )


class PerformanceCriteria(_Strict):
    """Stage 3: the qualification sweep against the SKU class's baseline."""

    scenario: str = Field(default="qualification", min_length=1, description="scenario name or .yaml path")
    metrics: list[str] = Field(default_factory=lambda: ["decode_tokens_per_s", "prefill_tokens_per_s"])
    repetitions: int | None = Field(default=None, ge=1, le=100_000, description="override the scenario's")

    @field_validator("metrics")
    @classmethod
    def _known(cls, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in METRICS]
        if unknown or not values:
            raise ValueError(
                f"unknown metric {', '.join(unknown) or '(none)'}; choose from {', '.join(METRICS)}"
            )
        return values


class SoakCriteria(_Strict):
    """Stage 4: sustained decode on one model; the machine must hold its pace, clocks and memory."""

    model: str = Field(min_length=1)
    duration_s: float = Field(default=600.0, ge=1, le=86_400, allow_inf_nan=False)
    interval_s: float = Field(default=30.0, gt=0, le=3600, allow_inf_nan=False)
    prompt_tokens: int = Field(default=128, ge=1, le=1_000_000)
    batch_size: int = Field(default=1, ge=1, le=1024)
    output_tokens: int = Field(default=256, ge=2, le=100_000)
    throughput_drop_max_pct: float = Field(default=10.0, ge=0, le=100, allow_inf_nan=False)
    throttle_time_max_pct: float = Field(default=5.0, ge=0, le=100, allow_inf_nan=False)
    vram_growth_max_mib: float = Field(default=64.0, ge=0, le=1_048_576, allow_inf_nan=False)


PROFILE_KIND: Literal["bench.qualify.profile"] = "bench.qualify.profile"
PROFILE_SCHEMA_VERSION = 1


class Profile(_Strict):
    kind: Literal["bench.qualify.profile"] = PROFILE_KIND
    schema_version: int = PROFILE_SCHEMA_VERSION
    name: str = Field(pattern=r"^[^\x00-\x1f]{1,200}$")
    description: str = ""
    provider: Provider = "cuda"
    models: list[str] = Field(min_length=1)
    inventory: InventoryCriteria = Field(default_factory=lambda: InventoryCriteria())
    function: FunctionCriteria = Field(default_factory=lambda: FunctionCriteria())
    performance: PerformanceCriteria = Field(default_factory=lambda: PerformanceCriteria())
    soak: SoakCriteria

    def digest(self) -> str:
        """sha256 of the validated profile: two files that mean the same criteria hash the same."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LoadedProfile:
    profile: Profile
    source: str  # "bench: default" for a shipped profile, else the file path
    sha256: str


def shipped_profiles() -> list[str]:
    folder = resources.files("bench.qualify").joinpath("profiles")
    return sorted(p.name.rsplit(".", 1)[0] for p in folder.iterdir() if p.name.endswith(PROFILE_SUFFIXES))


def load_profile(name_or_path: str) -> LoadedProfile:
    """A shipped profile by name, or a YAML file; any problem is one ``BenchError`` line naming the field."""
    path = Path(name_or_path)
    if path.suffix.lower() in PROFILE_SUFFIXES or path.exists():
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise BenchError("no such profile file", field=f"--profile {name_or_path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise BenchError(f"cannot read the profile: {exc}", field=f"--profile {name_or_path}") from None
        origin = str(path)
    else:
        resource = resources.files("bench.qualify").joinpath("profiles").joinpath(f"{name_or_path}.yaml")
        if not resource.is_file():
            raise BenchError(
                f"no shipped profile named {name_or_path!r}",
                field="--profile",
                hint=f"choose one of {', '.join(shipped_profiles())} or give a .yaml path",
            )
        text = resource.read_text(encoding="utf-8")
        origin = f"bench: {name_or_path}"
    profile = parse_profile(text, origin=origin)
    return LoadedProfile(profile=profile, source=origin, sha256=profile.digest())


def parse_profile(text: str, *, origin: str) -> Profile:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise BenchError(f"not valid YAML{where}", field=origin) from None
    if not isinstance(data, dict):
        raise BenchError("a profile is a YAML mapping (name:, models:, soak:, ...)", field=origin)
    if data.get("kind") == PROFILE_KIND and data.get("schema_version") in PROFILE_DOCUMENT.supported:
        try:  # a profile bench can read: our own one-line message, with the fix for an unknown key
            return Profile.model_validate(data)
        except ValidationError as exc:
            raise _one_line(exc, origin) from None
    return PROFILE_DOCUMENT.parse(data, origin=origin)  # the one loader's message for kind and version


PROFILE_DOCUMENT = DocumentKind(
    kind=PROFILE_KIND,
    what="qualification profile",
    model=Profile,
    version=PROFILE_SCHEMA_VERSION,
    hint="start from a shipped profile: bench/qualify/profiles/default.yaml keeps the kind and version lines",
)


def _one_line(exc: ValidationError, origin: str) -> BenchError:
    first = exc.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "(top level)"
    more = exc.error_count() - 1
    hint = "unknown key: remove it or fix its spelling" if first["type"] == "extra_forbidden" else None
    message = first["msg"].removeprefix("Value error, ")
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return BenchError(message, field=f"{origin}: {location}", hint=hint)
