"""Planning a sweep: everything that can fail before the first measurement does so here.

The scenario is expanded into concrete points (skipping what the scenario allows to skip), the
environment is checked for conflicting onnxruntime installs, and every model is resolved (building
twins) once per (model, provider). The result is a ``SweepPlan``: one ``SessionPlan`` per model load,
in the order they will run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bench.engine.genai import StopFlag
from bench.environment import collect_providers, runtime_conflicts
from bench.errors import BenchError, StoppedBeforeMeasuring
from bench.models.identity import model_key
from bench.models.refs import ResolvedModel, describe_model
from bench.scenarios import Scenario, SweepPoint, expand

BuildProgress = Callable[[str], Callable[[int, int, str], None] | None]


@dataclass(frozen=True)
class SessionPlan:
    """One (model, provider) pair: loaded once, then every one of its points measured."""

    model_ref: str
    provider: str
    model: ResolvedModel
    points: tuple[SweepPoint, ...]


@dataclass(frozen=True)
class SweepPlan:
    sessions: tuple[SessionPlan, ...]
    skipped: tuple[str, ...]  # human notes: points and providers the scenario allowed to skip

    @property
    def total(self) -> int:
        return sum(len(session.points) for session in self.sessions)

    @property
    def first_provider(self) -> str:
        return self.sessions[0].provider


def check_runtime_conflicts(distributions: Mapping[str, Sequence[str]] | None = None) -> None:
    """Refuse an environment with two onnxruntime (or onnxruntime-genai) builds: which one Python imports
    is an accident of install order, and the result would name the other one."""
    problems = runtime_conflicts(distributions)
    if problems:
        raise BenchError(problems[0], field="installed packages")


def plan_sweep(
    scenario: Scenario,
    *,
    og: Any,
    resolver: Callable[..., ResolvedModel],
    building: BuildProgress,
    stop: StopFlag,
) -> SweepPlan:
    check_runtime_conflicts()
    unavailable = {p.name: p.reason or "unavailable" for p in collect_providers(og) if not p.available}
    expansion = expand(
        scenario,
        context_length=lambda ref: describe_model(ref).context_length,
        unavailable_providers=unavailable,
    )
    resolved: dict[tuple[str, str], ResolvedModel] = {}
    for point in expansion.points:
        key = (point.model, point.provider)
        if key not in resolved:
            if stop.requested:  # building a full-size twin takes a while: honour Ctrl-C between them
                raise StoppedBeforeMeasuring("interrupted while preparing models; nothing was measured")
            resolved[key] = resolver(point.model, provider=point.provider, progress=building(point.model))
    _refuse_duplicates(resolved)
    sessions = tuple(
        SessionPlan(
            model_ref=ref,
            provider=provider,
            model=model,
            points=tuple(p for p in expansion.points if (p.model, p.provider) == (ref, provider)),
        )
        for (ref, provider), model in resolved.items()
    )
    return SweepPlan(sessions=sessions, skipped=tuple(expansion.skipped))


def _refuse_duplicates(resolved: dict[tuple[str, str], ResolvedModel]) -> None:
    """Two references to the same model (a registry name and its folder) would measure it twice."""
    seen: dict[tuple[str, str], str] = {}
    for (ref, provider), model in resolved.items():
        same = seen.setdefault((model_key(model.identity), provider), ref)
        if same != ref:
            raise BenchError(
                f"{same!r} and {ref!r} are the same model ({model_key(model.identity)})",
                field="models",
                hint="list it once",
            )
