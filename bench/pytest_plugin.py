"""pytest entry point: a bench scenario's sweep points as pytest-benchmark benchmarks.

For teams that already gate CI with pytest-benchmark (``--benchmark-compare-fail``). A test file::

    import pytest

    @pytest.mark.bench_scenario("ci-gate")
    def test_ci_gate(bench_point, benchmark):
        bench_point.run(benchmark)

becomes one test per sweep point (``test_ci_gate[twin:mistral-nemo-12b:small|cpu|p64|b1|o32]``). Each
round is one whole request through bench's one timing code path (tokenize, generator set-up, prefill,
every decode step), with the scenario's warmups as warmup rounds and its repetitions as rounds; bench's
own figures (TTFT, prefill and decode tokens/s medians) go into ``extra_info``. Then, as usual::

    pytest bench_test.py --benchmark-autosave                       # on main
    pytest bench_test.py --benchmark-compare --benchmark-compare-fail=median:5%   # on a branch

Marker keywords override the scenario (``models=[...]``, ``providers=[...]``, ``repetitions=N``,
``warmup=N``), as do ``--bench-model`` and ``--bench-provider`` on the command line. Override the
``bench_genai`` fixture to supply another onnxruntime-genai module (tests pass a scripted fake).

Registered through the ``pytest11`` entry point, so this module is imported by every pytest run in the
environment: it imports nothing heavy at import time and does nothing unless a test uses ``bench_point``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from bench.engine.genai import LoadedModel
    from bench.models.refs import ResolvedModel
    from bench.scenarios import Scenario, SweepPoint

MARKER = "bench_scenario"
_OVERRIDABLE = ("models", "providers", "repetitions", "warmup")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bench", "bench scenarios as benchmarks (bench.pytest_plugin)")
    group.addoption(
        "--bench-model",
        action="append",
        default=None,
        metavar="REF",
        help="Replace the models of every bench_scenario (repeatable).",
    )
    group.addoption(
        "--bench-provider",
        action="append",
        default=None,
        metavar="NAME",
        help="Replace the providers of every bench_scenario (repeatable): cpu, cuda, dml.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(name, **overrides): run the test once per sweep point of the bench scenario `name` "
        "(a scenario name or .yaml path); use with the bench_point and benchmark fixtures.",
    )


def _scenario(config: pytest.Config, marker: pytest.Mark) -> Scenario:
    from pathlib import Path

    from bench import catalogue
    from bench.scenarios import find_scenario, load_scenario, parse_scenario

    if not marker.args:
        pytest.fail(f"@pytest.mark.{MARKER} needs a scenario name or path", pytrace=False)
    unknown = sorted(set(marker.kwargs) - set(_OVERRIDABLE))
    if unknown:
        pytest.fail(
            f"@pytest.mark.{MARKER}: unknown override {', '.join(unknown)} "
            f"(allowed: {', '.join(_OVERRIDABLE)})",
            pytrace=False,
        )
    dirs = [Path(config.rootpath) / "scenarios", *catalogue.search_dirs("scenarios")]
    loaded = load_scenario(find_scenario(str(marker.args[0]), search_dirs=dirs))
    overrides = dict(marker.kwargs)
    if config.getoption("bench_model"):
        overrides["models"] = config.getoption("bench_model")
    if config.getoption("bench_provider"):
        overrides["providers"] = config.getoption("bench_provider")
    if not overrides:
        return loaded.scenario
    return parse_scenario(
        loaded.scenario.model_dump() | overrides, origin=f"{loaded.source} (pytest overrides)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "bench_point" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker(MARKER)
    if marker is None:
        pytest.fail(
            f"{metafunc.definition.nodeid}: bench_point needs @pytest.mark.{MARKER}(NAME)", pytrace=False
        )
    from bench.errors import BenchError
    from bench.models.refs import describe_model
    from bench.scenarios import expand

    try:
        scenario = _scenario(metafunc.config, marker)
        expansion = expand(scenario, context_length=lambda ref: describe_model(ref).context_length)
    except BenchError as exc:
        pytest.fail(f"{metafunc.definition.nodeid}: {exc.one_line()}", pytrace=False)
    metafunc.parametrize(
        "bench_point",
        [(scenario, point) for point in expansion.points],
        ids=[_point_id(point) for point in expansion.points],
        indirect=True,
    )


def _point_id(point: SweepPoint) -> str:
    from bench.point_key import PointKey

    return PointKey.of(point.model, point.provider, point).id


@pytest.fixture(scope="session")
def bench_genai() -> Any:
    """The onnxruntime-genai module bench measures with (override to pass a fake)."""
    from bench.engine.genai import import_genai

    return import_genai()


@pytest.fixture(scope="session")
def bench_resolver() -> Any:
    """``resolve(ref, provider=...) -> ResolvedModel`` (override to skip building twins)."""
    from bench.models.refs import resolve_model

    return resolve_model


@dataclass
class _Sessions:
    """Models loaded once per (model, provider) for the whole test session, as ``bench run`` does."""

    og: Any
    resolver: Any
    loaded: dict[tuple[str, str, tuple[tuple[str, str], ...]], tuple[ResolvedModel, LoadedModel]] = field(
        default_factory=dict
    )

    def get(self, model: str, provider: str, options: dict[str, str]) -> tuple[ResolvedModel, LoadedModel]:
        key = (model, provider, tuple(sorted(options.items())))
        if key not in self.loaded:
            from bench.engine.genai import load_model

            resolved = self.resolver(model, provider=provider)
            self.loaded[key] = (
                resolved,
                load_model(self.og, resolved.path, provider=provider, provider_options=options),
            )
        return self.loaded[key]


@pytest.fixture(scope="session")
def _bench_sessions(bench_genai: Any, bench_resolver: Any) -> _Sessions:
    return _Sessions(bench_genai, bench_resolver)


@dataclass
class BenchPoint:
    """One sweep point, loaded and ready: ``run(benchmark)`` measures it."""

    scenario: Scenario
    point: SweepPoint
    resolved: ResolvedModel
    loaded: LoadedModel

    @property
    def id(self) -> str:
        return _point_id(self.point)

    def run(self, benchmark: Any) -> dict[str, list[float]]:
        """Time the point with pytest-benchmark; returns bench's raw samples of the measured rounds."""
        from statistics import median

        from bench.engine.genai import measure_repetition
        from bench.prompts import make_prompt

        point, scenario = self.point, self.scenario
        prompt = make_prompt(
            source=scenario.prompt.source,
            tokenizer=self.loaded.tokenizer,
            token_range=self.resolved.prompt_token_range,
            batch_size=point.batch_size,
            prompt_tokens=point.prompt_tokens,
            seed=scenario.seed,
        )
        timings: list[Any] = []

        def request() -> None:
            timings.append(
                measure_repetition(
                    self.loaded,
                    prompt_ids=prompt.ids,
                    prompt_texts=prompt.texts,
                    output_tokens=point.output_tokens,
                )
            )

        benchmark.pedantic(request, rounds=scenario.repetitions, warmup_rounds=scenario.warmup, iterations=1)
        samples: dict[str, list[float]] = {}
        for timing in timings[-scenario.repetitions :]:  # pedantic's warmup rounds come first
            for name, value in timing.metrics().items():
                samples.setdefault(name, []).extend(value if isinstance(value, list) else [value])
        benchmark.extra_info.update(
            {
                "bench_point": self.id,
                "model_kind": self.resolved.identity.kind,
                **{
                    f"{name}_median": median(samples[name])
                    for name in ("ttft_ms", "prefill_tokens_per_s", "decode_tokens_per_s", "tpot_ms")
                    if samples.get(name)
                },
            }
        )
        return samples


@pytest.fixture
def bench_point(request: pytest.FixtureRequest, _bench_sessions: _Sessions) -> BenchPoint:
    scenario, point = request.param
    options = dict(scenario.provider_options.get(point.provider, {}))
    resolved, loaded = _bench_sessions.get(point.model, point.provider, options)
    return BenchPoint(scenario=scenario, point=point, resolved=resolved, loaded=loaded)
