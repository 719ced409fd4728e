"""Scenario files: validation (pydantic) and expansion into concrete sweep points.

A scenario is data (``scenarios/*.yaml``). It is validated and expanded into every concrete point
before anything runs, so a point a model cannot hold fails at load time, not an hour into a sweep.
"""

from __future__ import annotations

import hashlib
import itertools
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from bench.errors import BenchError
from bench.providers import Provider

SCENARIO_SUFFIXES = (".yaml", ".yml")


def _positive_unique(values: list[int]) -> list[int]:
    if len(set(values)) != len(values):
        raise ValueError(f"values must be unique, got {values}")
    return values


class Sweep(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # strict: YAML's true is not the number 1

    prompt_tokens: list[int] = Field(min_length=1, description="prompt length in tokens per sequence")
    batch_size: list[int] = Field(default=[1], min_length=1)
    output_tokens: list[int] = Field(min_length=1, description="tokens generated per sequence (forced)")

    @field_validator("prompt_tokens", "batch_size")
    @classmethod
    def _at_least_one(cls, values: list[int]) -> list[int]:
        if any(v < 1 for v in values):
            raise ValueError("every value must be >= 1")
        return _positive_unique(values)

    @field_validator("output_tokens")
    @classmethod
    def _at_least_two(cls, values: list[int]) -> list[int]:
        # One output token has no decode step, so decode tokens/s and inter-token latency are undefined.
        if any(v < 2 for v in values):
            raise ValueError("every value must be >= 2 (one token has no decode step to measure)")
        return _positive_unique(values)


class PromptSource(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: Literal["random", "corpus"] = Field(
        "random",
        description="random: seeded token ids inside the tokenizer vocabulary; corpus: the bundled text "
        "corpus cut to the exact token count",
    )


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[^\x00-\x1f]{1,200}$")
    description: str = ""
    models: list[str] = Field(min_length=1, description="registry names, folders, or twin:FAMILY:SIZE")
    providers: list[Provider] = Field(default=["cpu"], min_length=1)
    sweep: list[Sweep] = Field(
        min_length=1,
        description="one block of axes, or a list of blocks whose points are united (e.g. long contexts "
        "at batch 1 only)",
    )
    warmup: int = Field(1, ge=0, le=1000, strict=True)
    repetitions: int = Field(5, ge=1, le=100_000, strict=True)
    min_time_s: float | None = Field(
        None,
        gt=0,
        allow_inf_nan=False,
        description="keep repeating until this much generation time was measured per point",
    )
    max_repetitions: int = Field(
        1000, ge=1, strict=True, description="cap on repetitions when min_time_s asks for more"
    )
    prompt: PromptSource = Field(default_factory=lambda: PromptSource(source="random"))
    seed: int = Field(0, ge=0, strict=True)
    on_unsupported: Literal["error", "skip"] = Field(
        "error",
        description="what to do with a point a model cannot hold or a provider this build lacks: "
        "error (refuse the scenario) or skip (run the rest, note each skipped point)",
    )
    cv_threshold: float = Field(
        0.10, gt=0, allow_inf_nan=False, description="flag a point whose gate metrics vary more than this"
    )
    provider_options: dict[Provider, dict[str, str]] = Field(
        default_factory=dict,
        description="onnxruntime-genai provider options per provider, e.g. {cuda: {device_id: 0}}; "
        "values are passed as strings",
    )

    @field_validator("provider_options", mode="before")
    @classmethod
    def _options_as_strings(cls, value: Any) -> Any:
        # onnxruntime-genai takes strings; YAML reads `device_id: 0` as a number: accept both.
        if isinstance(value, dict):
            return {
                provider: (
                    {
                        k: str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
                        for k, v in options.items()
                    }
                    if isinstance(options, dict)
                    else options
                )
                for provider, options in value.items()
            }
        return value

    @field_validator("provider_options")
    @classmethod
    def _device_ids(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for provider, options in value.items():
            if provider == "cpu" and options:
                raise ValueError("the cpu provider takes no options (they would be recorded but not applied)")
            device_id = options.get("device_id")
            if device_id is not None and not device_id.isdigit():
                raise ValueError(f"{provider}.device_id must be a GPU index (0, 1, ...), got {device_id!r}")
        return value

    @field_validator("models", "providers")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise ValueError(f"listed twice: {', '.join(duplicates)}")
        return values

    @field_validator("sweep", mode="before")
    @classmethod
    def _one_block_is_a_list_of_one(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    @field_validator("max_repetitions")
    @classmethod
    def _repetition_cap(cls, value: int, info: ValidationInfo) -> int:
        repetitions = info.data.get("repetitions")
        if isinstance(repetitions, int) and value < repetitions:
            raise ValueError(
                f"below repetitions ({repetitions}): raise max_repetitions to at least {repetitions} "
                "in the scenario, or ask for fewer repetitions"
            )
        return value


@dataclass(frozen=True)
class SweepPoint:
    model: str
    provider: str
    prompt_tokens: int
    batch_size: int
    output_tokens: int

    @property
    def max_length(self) -> int:
        return self.prompt_tokens + self.output_tokens

    def label(self) -> str:
        return f"{self.model} {self.provider} p{self.prompt_tokens} b{self.batch_size} o{self.output_tokens}"


@dataclass(frozen=True)
class Expansion:
    points: list[SweepPoint]
    skipped: list[str]  # human notes, one per skipped point or provider


@dataclass(frozen=True)
class LoadedScenario:
    scenario: Scenario
    source: Path | None
    file_sha256: str | None


def _format_validation_error(exc: ValidationError, origin: str, data: dict[str, Any]) -> BenchError:
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    if loc[:1] == ("sweep",) and isinstance(data.get("sweep"), dict) and len(loc) > 1:
        loc = loc[:1] + loc[2:]  # a single block was written without a list: don't show its index
    where = ".".join(str(part) for part in loc) or "(top level)"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(loc))
        message = f"unknown key (allowed here: {allowed})"
    more = f"; {exc.error_count() - 1} more problem(s) after fixing this" if exc.error_count() > 1 else ""
    return BenchError(f"{message}{more}", field=f"{origin}: {where}")


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None)
        args = typing.get_args(annotation)
        if args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            annotation = args[0]  # list[Model]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            break
    return list(model.model_fields)


def parse_scenario(data: Any, *, origin: str = "scenario") -> Scenario:
    if not isinstance(data, dict):
        raise BenchError("a scenario must be a mapping of keys (name, models, sweep, ...)", field=origin)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise _format_validation_error(exc, origin, data) from None


def find_scenario(name_or_path: str, *, search_dirs: Sequence[Path]) -> Path:
    """A path to a scenario file, or a bare name looked up in ``search_dirs`` (``smoke`` -> smoke.yaml)."""
    candidate = Path(name_or_path)
    if candidate.suffix in SCENARIO_SUFFIXES or candidate.parent != Path("."):
        if candidate.is_file():
            return candidate
        raise BenchError("no such scenario file", field=str(candidate))
    for folder in search_dirs:
        for suffix in SCENARIO_SUFFIXES:
            path = folder / f"{name_or_path}{suffix}"
            if path.is_file():
                return path
    known = sorted(
        {p.stem for d in search_dirs if d.is_dir() for p in d.iterdir() if p.suffix in SCENARIO_SUFFIXES}
    )
    raise BenchError(
        f"unknown scenario {name_or_path!r}",
        field="SCENARIO",
        hint=f"known: {', '.join(known) or 'none'}; or pass a path to a .yaml file",
    )


def load_scenario(path: Path) -> LoadedScenario:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BenchError(f"cannot read scenario: {exc.strerror or exc}", field=str(path)) from None
    try:
        # Windows PowerShell 5 writes UTF-16 with a byte-order mark; Notepad may add a UTF-8 one.
        text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BenchError("not UTF-8 text", field=str(path), hint="save the scenario as UTF-8") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise BenchError(f"not valid YAML{where}", field=str(path)) from None
    scenario = parse_scenario(data, origin=str(path))
    return LoadedScenario(scenario=scenario, source=path, file_sha256=hashlib.sha256(raw).hexdigest())


def expand(
    scenario: Scenario,
    *,
    context_length: Callable[[str], int],
    unavailable_providers: dict[str, str] | None = None,
) -> Expansion:
    """Every concrete point, in run order (model, provider, batch, prompt, output).

    ``context_length(model_ref)`` gives the model's limit without building anything; points with
    prompt + output beyond it are refused or skipped per ``scenario.on_unsupported``, likewise
    providers listed in ``unavailable_providers`` (name -> reason).
    """
    unavailable_providers = unavailable_providers or {}
    skip = scenario.on_unsupported == "skip"
    points: list[SweepPoint] = []
    skipped: list[str] = []
    for provider in scenario.providers:
        if provider in unavailable_providers:
            reason = f"provider {provider} unavailable: {unavailable_providers[provider]}"
            if not skip:
                raise BenchError(
                    reason,
                    field="providers",
                    hint="choose another with --provider, or set on_unsupported: skip",
                )
            skipped.append(f"skipped every {provider} point: {reason}")
    for model in scenario.models:
        limit = context_length(model)
        for provider in scenario.providers:
            if provider in unavailable_providers:
                continue
            seen: set[SweepPoint] = set()
            for batch, prompt, output in (
                combo
                for block in scenario.sweep
                for combo in itertools.product(block.batch_size, block.prompt_tokens, block.output_tokens)
            ):
                point = SweepPoint(model, provider, prompt, batch, output)
                if point in seen:
                    continue
                seen.add(point)
                if point.max_length > limit:
                    reason = (
                        f"point {point.label()}: prompt {prompt} + output {output} = "
                        f"{point.max_length} tokens "
                        f"exceeds {model}'s context length {limit}"
                    )
                    if not skip:
                        raise BenchError(
                            reason, field="sweep", hint="shorten the sweep, or set on_unsupported: skip"
                        )
                    skipped.append(f"skipped {reason}")
                    continue
                points.append(point)
    if not points:
        raise BenchError("the sweep has no point left to run", field="sweep", hint="; ".join(skipped[:3]))
    return Expansion(points=points, skipped=skipped)
