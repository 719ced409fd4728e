"""What a side of ``bench ab`` is: the scenario, with whatever this side overrides.

A side differs from the other by any of: its models (in the scenario's order: the i-th model of one
side is paired with the i-th of the other), the Python it runs under (another onnxruntime-genai or bench
build in its own environment), provider options, environment variables. Anything a side does not
override comes from the scenario, so two sides given nothing are an A/A run.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bench.errors import BenchError
from bench.providers import PROVIDERS
from bench.scenarios import Scenario, parse_scenario

Role = Literal["baseline", "candidate"]


@dataclass(frozen=True)
class Side:
    role: Role
    python: Path = field(default_factory=lambda: Path(sys.executable))
    models: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    provider_options: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def scenario(self, base: Scenario) -> Scenario:
        """The scenario this side runs: the base with this side's models and provider options."""
        definition = base.model_dump(mode="json")
        if self.models:
            definition["models"] = list(self.models)
        if self.provider_options:
            merged = {k: dict(v) for k, v in definition.get("provider_options", {}).items()}
            for provider, options in self.provider_options.items():
                merged.setdefault(provider, {}).update(options)
            definition["provider_options"] = merged
        return parse_scenario(definition, origin=f"{self.role} side")

    def overrides(self) -> dict[str, Any]:
        """What this side changed, as recorded in its result file."""
        changed: dict[str, Any] = {}
        if self.models:
            changed["models"] = list(self.models)
        if self.provider_options:
            changed["provider_options"] = {k: dict(v) for k, v in self.provider_options.items()}
        if self.env:
            changed["env"] = dict(self.env)
        if Path(self.python) != Path(sys.executable):
            changed["python"] = str(self.python)
        return changed


def parse_env(items: Sequence[str], *, role: Role) -> dict[str, str]:
    """``KEY=VALUE`` items (repeatable option) into a mapping."""
    env: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise BenchError(
                f"expected KEY=VALUE, got {item!r}", field=f"--{role}-env", hint="e.g. OMP_NUM_THREADS=2"
            )
        env[key.strip()] = value
    return env


def parse_provider_options(items: Sequence[str], *, role: Role) -> dict[str, dict[str, str]]:
    """``PROVIDER.KEY=VALUE`` items into ``{provider: {key: value}}``."""
    options: dict[str, dict[str, str]] = {}
    hint = "e.g. cuda.device_id=1 or dml.device_id=0"
    for item in items:
        name, sep, value = item.partition("=")
        provider, dot, key = name.strip().partition(".")
        if not sep or not dot or not key:
            raise BenchError(
                f"expected PROVIDER.KEY=VALUE, got {item!r}", field=f"--{role}-option", hint=hint
            )
        if provider not in PROVIDERS:
            raise BenchError(
                f"unknown provider {provider!r} in {item!r}",
                field=f"--{role}-option",
                hint=f"one of: {', '.join(PROVIDERS)}",
            )
        options.setdefault(provider, {})[key] = value
    return options


def check_python(python: Path, *, role: Role) -> Path:
    path = Path(python).expanduser()
    if not path.is_file():
        raise BenchError(
            "no such interpreter",
            field=f"--{role}-python {python}",
            hint="give e.g. /path/to/venv/bin/python",
        )
    return path
