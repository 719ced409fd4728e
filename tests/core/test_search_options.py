"""The search is pinned to greedy decoding whatever the model's genai_config.json says.

The fake genai copies the model's "search" section into every GeneratorParams (as onnxruntime-genai does
with ``Config::Search``) and charges beams and penalties per decode step, so a config with beams or a
repetition penalty changes the timing unless bench overrides it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench.engine.genai import PINNED_SEARCH, check_search, load_model, measure_repetition
from bench.errors import BenchError
from tests.fakes.fake_genai import FakeGenai, Script

BEAMS_AND_PENALTY = {"num_beams": 4, "repetition_penalty": 1.3, "no_repeat_ngram_size": 3}


def _model_folder(tmp_path: Path, search: dict[str, object]) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "genai_config.json").write_text(json.dumps({"model": {}, "search": search}))
    return tmp_path


def _decode_ms(fake: FakeGenai, folder: Path) -> list[float]:
    loaded = load_model(fake.module, folder, provider="cpu", clock=fake.clock)
    timing = measure_repetition(
        loaded,
        prompt_ids=np.ones((1, 4), dtype=np.int32),
        prompt_texts=["x"],
        output_tokens=5,
        clock=fake.clock,
    )
    return timing.metrics()["itl_ms"]  # type: ignore[return-value]


def test_beams_and_penalties_in_genai_config_do_not_change_the_measured_work(tmp_path):
    plain = _decode_ms(FakeGenai(Script(step_ns=1_000_000)), _model_folder(tmp_path / "a", {}))
    twin = _decode_ms(FakeGenai(Script(step_ns=1_000_000)), _model_folder(tmp_path / "b", BEAMS_AND_PENALTY))
    assert plain == pytest.approx([1.0] * 4)
    assert twin == plain  # without the pin: 4 beams x 1 ms + the penalty pass per step


def test_the_check_records_what_the_model_config_said_and_what_bench_pinned(tmp_path):
    fake = FakeGenai()
    loaded = load_model(fake.module, _model_folder(tmp_path, BEAMS_AND_PENALTY), provider="cpu")
    check = check_search(loaded)
    assert check.verified
    assert check.pinned == PINNED_SEARCH
    assert check.replaced["num_beams"] == 4
    assert check.replaced["repetition_penalty"] == 1.3
    assert check.replaced["no_repeat_ngram_size"] == 3
    # genai's own default early_stopping=true is replaced too; neutral values are not listed
    assert "do_sample" not in check.replaced


def test_an_option_that_cannot_be_overridden_is_one_clear_error(tmp_path):
    folder = _model_folder(tmp_path, BEAMS_AND_PENALTY)
    loaded = load_model(FakeGenai(Script(sticky_search=("num_beams",))).module, folder, provider="cpu")
    with pytest.raises(BenchError, match=r"cannot be overridden \(num_beams=4\.0") as caught:
        check_search(loaded)
    assert caught.value.field == "genai_config.json search"


def test_a_build_that_refuses_an_option_is_one_clear_error(tmp_path):
    fake = FakeGenai(Script(refused_search=("no_repeat_ngram_size",)))
    loaded = load_model(fake.module, _model_folder(tmp_path, {}), provider="cpu")
    with pytest.raises(BenchError, match="refused bench's pinned search options"):
        check_search(loaded)


def test_a_build_without_read_back_is_recorded_as_unverified(tmp_path):
    fake = FakeGenai(Script(readable_search=False))
    loaded = load_model(fake.module, _model_folder(tmp_path, BEAMS_AND_PENALTY), provider="cpu")
    check = check_search(loaded)
    assert not check.verified and check.replaced == {}
