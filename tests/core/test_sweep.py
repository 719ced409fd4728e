"""The sweep through ``run_scenario`` with the scripted genai: search pinning recorded, one repetition
flagged, a reporter that cannot write, conflicting onnxruntime installs refused before anything runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.models.refs import resolve_model
from bench.results.files import load_result
from bench.runner import RunRequest, SilentReporter, run_scenario
from bench.scenarios import parse_scenario
from bench.sweep.plan import check_runtime_conflicts
from tests.fakes.fake_genai import FakeGenai, Script

TWIN = "twin:nemotron-mini-4b:tiny"


def _scenario(models: list[str], **changes: object):
    return parse_scenario(
        {
            "name": "sweep-test",
            "models": models,
            "sweep": {"prompt_tokens": [8], "batch_size": [1], "output_tokens": [4]},
            "warmup": 0,
            "repetitions": 3,
        }
        | changes
    )


def _run(tmp_path: Path, scenario, *, fake: FakeGenai | None = None, reporter=None):
    fake = fake or FakeGenai(Script(step_ns=1_000_000))
    return run_scenario(
        RunRequest(scenario=scenario, out_dir=tmp_path / "results", telemetry=False),
        og=fake.module,
        reporter=reporter,
        command=["bench", "run"],
    )


@pytest.fixture
def beam_twin(tmp_path: Path) -> Path:
    """A twin folder whose genai_config asks for beam search and a repetition penalty."""
    folder = tmp_path / "beam-twin"
    shutil.copytree(resolve_model(TWIN, provider="cpu").path, folder)
    config = json.loads((folder / "genai_config.json").read_text())
    config["search"].update(num_beams=4, repetition_penalty=1.3)
    (folder / "genai_config.json").write_text(json.dumps(config))
    return folder


def test_the_pinned_search_is_recorded_and_the_config_beams_do_not_change_the_timings(tmp_path, beam_twin):
    fake = FakeGenai()
    outcome = _run(tmp_path, _scenario([str(beam_twin)]), fake=fake)
    (session,) = outcome.document.sessions
    assert session.search is not None and session.search.verified
    assert session.search.pinned["num_beams"] == 1 and session.search.pinned["repetition_penalty"] == 1.0
    assert session.search.replaced == {"num_beams": 4, "repetition_penalty": 1.3, "early_stopping": True}
    # every measured generator ran greedy, whatever the folder's genai_config said
    assert len(fake.generator_search) == 3
    assert {(o["num_beams"], o["repetition_penalty"]) for o in fake.generator_search} == {(1, 1.0)}
    assert load_result(outcome.path).sessions[0].search == session.search  # written, not only in memory


def test_a_config_that_cannot_be_overridden_fails_before_any_point(tmp_path, beam_twin):
    fake = FakeGenai(Script(sticky_search=("repetition_penalty",)))
    with pytest.raises(BenchError, match="cannot be overridden"):
        _run(tmp_path, _scenario([str(beam_twin)]), fake=fake)
    (path,) = (tmp_path / "results").glob("*.json")
    document = load_result(path)
    assert document.status == "failed" and document.points == []


def test_one_repetition_is_flagged_as_no_stability_evidence(tmp_path):
    one = _run(tmp_path, _scenario([TWIN], repetitions=1)).document.points[0]
    assert one.status == "flagged"
    assert any(r.startswith("no_stability_evidence: ") for r in one.reasons)
    several = _run(tmp_path, _scenario([TWIN], repetitions=2)).document.points[0]
    assert not any(r.startswith("no_stability_evidence") for r in several.reasons)


class _ClosedPipe(SilentReporter):
    """A reporter whose terminal went away (``bench run smoke | head -3``)."""

    def point_finished(self, **kwargs: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def sweep_finished(self, **kwargs: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reporter_that_cannot_write_does_not_fail_the_sweep(tmp_path):
    scenario = _scenario([TWIN], sweep={"prompt_tokens": [8, 16], "batch_size": [1], "output_tokens": [4]})
    outcome = _run(tmp_path, scenario, reporter=_ClosedPipe())
    document = load_result(outcome.path)
    assert document.status == "complete" and len(document.points) == 2


def test_two_onnxruntime_builds_in_one_environment_are_refused_with_the_fix():
    installed = {
        "onnxruntime": ["onnxruntime", "onnxruntime_gpu"],
        "onnxruntime_genai": ["onnxruntime-genai"],
    }
    with pytest.raises(BenchError) as caught:
        check_runtime_conflicts(installed)
    message = caught.value.one_line()
    assert "several onnxruntime builds are installed (onnxruntime" in message
    assert "onnxruntime-gpu" in message and "pip uninstall -y onnxruntime onnxruntime-gpu" in message
    check_runtime_conflicts({"onnxruntime": ["onnxruntime"], "onnxruntime_genai": ["onnxruntime-genai"]})


def test_a_conflicting_install_is_refused_before_a_result_is_written(tmp_path, monkeypatch):
    from bench import environment

    monkeypatch.setattr(
        environment.metadata,
        "packages_distributions",
        lambda: {"onnxruntime_genai": ["onnxruntime-genai", "onnxruntime-genai-cuda"]},
    )
    with pytest.raises(BenchError, match="several onnxruntime-genai builds"):
        _run(tmp_path, _scenario([TWIN]))
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").iterdir())


def test_the_real_cpu_build_takes_the_pinned_search_over_the_model_config(tmp_path, beam_twin):
    # onnxruntime-genai itself (not the fake): genai_config's beams and penalty are read, then overridden.
    outcome = run_scenario(
        RunRequest(scenario=_scenario([str(beam_twin)], repetitions=2), out_dir=tmp_path, telemetry=False),
        command=["bench", "run"],
    )
    (session,) = outcome.document.sessions
    assert session.search is not None
    import onnxruntime_genai as og

    if hasattr(og.GeneratorParams, "get_search_options"):  # onnxruntime-genai >= 0.13 reads options back
        assert session.search.verified
        assert session.search.replaced == {"num_beams": 4, "repetition_penalty": 1.3, "early_stopping": True}
    else:  # older builds (the lowest-direct CI step): pinned, and recorded as not verified
        assert not session.search.verified and session.search.replaced == {}
    (point,) = outcome.document.points
    assert point.status != "invalid", point.reasons
    assert len(set(point.output_sha256)) == 1  # greedy: the same tokens in every repetition
