"""Scenario validation (good and each kind of bad input) and sweep expansion."""

from __future__ import annotations

import pytest
import yaml

from bench.catalogue import shipped_dir
from bench.errors import BenchError
from bench.scenarios import expand, find_scenario, load_scenario, parse_scenario

GOOD = {
    "name": "t",
    "models": ["twin:mistral-nemo-12b:tiny", "twin:nemotron-mini-4b:tiny"],
    "sweep": {"prompt_tokens": [16, 64], "batch_size": [1, 2], "output_tokens": [8]},
}

SHIPPED_SCENARIOS = shipped_dir("scenarios")


def limits(ref: str) -> int:
    return 4096 if "nemotron" in ref else 131072


def test_a_good_scenario_gets_defaults():
    scenario = parse_scenario(GOOD)
    assert scenario.providers == ["cpu"]
    assert scenario.repetitions == 5 and scenario.warmup == 1
    assert scenario.prompt.source == "random"
    assert scenario.on_unsupported == "error"


@pytest.mark.parametrize(
    ("patch", "field", "message"),
    [
        ({"models": []}, "models", "at least 1"),
        ({"providers": ["rocm"]}, "providers.0", "'cpu', 'cuda' or 'dml'"),
        ({"sweep": {"prompt_tokens": [0], "output_tokens": [8]}}, "sweep", ">= 1"),
        ({"sweep": {"prompt_tokens": [8], "output_tokens": [1]}}, "sweep", ">= 2"),
        ({"sweep": {"prompt_tokens": [8, 8], "output_tokens": [4]}}, "sweep", "unique"),
        ({"repetitions": 0}, "repetitions", "greater than or equal to 1"),
        ({"warmups": 3}, "warmups", "unknown key (allowed here: name, description, models"),
        ({"prompt": {"source": "wiki"}}, "prompt.source", "'random' or 'corpus'"),
        ({"models": ["a", "a"]}, "models", "listed twice: a"),
        (
            {"repetitions": 20, "max_repetitions": 10},
            "max_repetitions",
            "below repetitions (20): raise max_repetitions to at least 20",
        ),
        ({"repetitions": True}, "repetitions", "valid integer"),  # YAML's true is not 1
        (
            {"sweep": {"prompt_tokens": [True], "output_tokens": [4]}},
            "sweep.prompt_tokens.0",
            "valid integer",
        ),
        ({"min_time_s": float("inf")}, "min_time_s", "finite number"),
        ({"cv_threshold": float("nan")}, "cv_threshold", "finite number"),
        ({"provider_options": {"cuda": {"device_id": "abc"}}}, "provider_options", "must be a GPU index"),
        (
            {"provider_options": {"cpu": {"device_id": "0"}}},
            "provider_options",
            "cpu provider takes no options",
        ),
    ],
)
def test_bad_scenarios_name_the_field(patch, field, message):
    with pytest.raises(BenchError) as info:
        parse_scenario(GOOD | patch, origin="s.yaml")
    text = info.value.one_line()
    assert text.startswith(f"s.yaml: {field}")
    assert message in text
    assert "\n" not in text


def test_a_numeric_device_id_is_accepted_as_yaml_writes_it():
    scenario = parse_scenario(GOOD | {"providers": ["cuda"], "provider_options": {"cuda": {"device_id": 1}}})
    assert scenario.provider_options == {"cuda": {"device_id": "1"}}


def test_scenario_files_saved_as_utf16_or_with_a_bom_load(tmp_path):
    text = (
        "name: bom\nmodels: [twin:nemotron-mini-4b:tiny]\nsweep: {prompt_tokens: [8], output_tokens: [4]}\n"
    )
    for encoding in ("utf-16", "utf-8-sig"):
        path = tmp_path / f"{encoding}.yaml"
        path.write_bytes(text.encode(encoding))
        assert load_scenario(path).scenario.name == "bom"
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(BenchError, match=r"not UTF-8 text.*save the scenario as UTF-8"):
        load_scenario(latin)


def test_unknown_nested_key_lists_what_is_allowed():
    with pytest.raises(
        BenchError, match=r"sweep\.batch: unknown key \(allowed here: prompt_tokens, batch_size"
    ):
        parse_scenario(
            GOOD | {"sweep": {"prompt_tokens": [8], "output_tokens": [4], "batch": [1]}}, origin="x"
        )


def test_expansion_is_the_full_product_in_run_order():
    scenario = parse_scenario(GOOD | {"providers": ["cpu"]})
    points = expand(scenario, context_length=limits).points
    assert len(points) == 2 * 2 * 2
    assert [(p.model.split(":")[1], p.batch_size, p.prompt_tokens) for p in points[:4]] == [
        ("mistral-nemo-12b", 1, 16),
        ("mistral-nemo-12b", 1, 64),
        ("mistral-nemo-12b", 2, 16),
        ("mistral-nemo-12b", 2, 64),
    ]


def test_sweep_blocks_are_united_without_duplicates():
    scenario = parse_scenario(
        GOOD
        | {
            "sweep": [
                {"prompt_tokens": [16, 64], "batch_size": [1, 2], "output_tokens": [8]},
                {"prompt_tokens": [64, 1024], "batch_size": [1], "output_tokens": [8]},
            ]
        }
    )
    points = expand(scenario, context_length=limits).points
    per_model = [p for p in points if "mistral" in p.model]
    assert [(p.prompt_tokens, p.batch_size) for p in per_model] == [
        (16, 1),
        (64, 1),
        (16, 2),
        (64, 2),
        (1024, 1),
    ]


def test_point_beyond_context_is_refused_with_point_and_limit():
    scenario = parse_scenario(GOOD | {"sweep": {"prompt_tokens": [4000], "output_tokens": [128]}})
    with pytest.raises(BenchError) as info:
        expand(scenario, context_length=limits)
    text = info.value.one_line()
    assert "twin:nemotron-mini-4b:tiny cpu p4000 b1 o128" in text
    assert "4128 tokens exceeds" in text and "context length 4096" in text
    assert "on_unsupported: skip" in text


def test_point_beyond_context_is_skipped_with_a_note_when_asked():
    scenario = parse_scenario(
        GOOD | {"on_unsupported": "skip", "sweep": {"prompt_tokens": [64, 4000], "output_tokens": [128]}}
    )
    expansion = expand(scenario, context_length=limits)
    assert [(p.model.split(":")[1], p.prompt_tokens) for p in expansion.points] == [
        ("mistral-nemo-12b", 64),
        ("mistral-nemo-12b", 4000),
        ("nemotron-mini-4b", 64),
    ]
    assert len(expansion.skipped) == 1 and "p4000" in expansion.skipped[0]


def test_unavailable_provider_is_refused_or_skipped():
    scenario = parse_scenario(GOOD | {"providers": ["cuda", "cpu"]})
    with pytest.raises(BenchError, match="provider cuda unavailable: no driver"):
        expand(scenario, context_length=limits, unavailable_providers={"cuda": "no driver"})
    skipping = parse_scenario(GOOD | {"providers": ["cuda", "cpu"], "on_unsupported": "skip"})
    expansion = expand(skipping, context_length=limits, unavailable_providers={"cuda": "no driver"})
    assert {p.provider for p in expansion.points} == {"cpu"}
    assert "skipped every cuda point" in expansion.skipped[0]


def test_nothing_left_to_run_is_an_error():
    scenario = parse_scenario(GOOD | {"providers": ["cuda"], "on_unsupported": "skip"})
    with pytest.raises(BenchError, match="no point left"):
        expand(scenario, context_length=limits, unavailable_providers={"cuda": "no driver"})


def test_scenario_files_load_with_their_hash(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(GOOD))
    loaded = load_scenario(path)
    assert loaded.scenario.name == "t" and len(loaded.file_sha256) == 64


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name: [unclosed", "not valid YAML at line 1"),
        ("- a\n- b\n", "must be a mapping"),
        ("", "must be a mapping"),
    ],
)
def test_malformed_files_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(BenchError, match=message):
        load_scenario(path)


def test_scenarios_are_found_by_name_or_path(tmp_path):
    assert find_scenario("smoke", search_dirs=[SHIPPED_SCENARIOS]).name == "smoke.yaml"
    with pytest.raises(BenchError, match=r"unknown scenario 'nope'.*known: .*ci-gate"):
        find_scenario("nope", search_dirs=[SHIPPED_SCENARIOS])
    with pytest.raises(BenchError, match="no such scenario file"):
        find_scenario(str(tmp_path / "missing.yaml"), search_dirs=[])


@pytest.mark.parametrize("path", sorted((SHIPPED_SCENARIOS).glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_scenarios_are_valid(path):
    loaded = load_scenario(path)
    assert loaded.scenario.name == path.stem
    expansion = expand(loaded.scenario, context_length=limits)
    assert expansion.points
