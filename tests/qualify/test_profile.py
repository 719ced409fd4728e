"""Profiles: the shipped ones load; a bad one is one line naming the field, exit 2, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bench.cli.app import app
from bench.errors import BenchError
from bench.qualify.profile import load_profile, shipped_profiles


def _write(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(load_profile_text("smoke"))
    for dotted, value in changes.items():
        node = data
        *parents, leaf = dotted.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def load_profile_text(name: str) -> str:
    from importlib import resources

    return resources.files("bench.qualify").joinpath("profiles").joinpath(f"{name}.yaml").read_text()


def test_shipped_profiles_load_and_hold_the_model_cards_requirements():
    assert {"default", "smoke"} <= set(shipped_profiles())
    default = load_profile("default").profile
    assert default.inventory.architecture_min == "ampere"
    assert default.inventory.driver_min_version == "565.00"
    assert 5.5 < default.inventory.vram_total_min_gib <= 6.0
    assert default.soak.duration_s == 600
    smoke = load_profile("smoke").profile
    assert smoke.provider == "cpu" and smoke.soak.duration_s == 20
    assert all(m.startswith("twin:") for m in smoke.models)


def test_the_hash_is_of_the_criteria_not_the_file_bytes(tmp_path):
    shipped = load_profile("smoke")
    copy = tmp_path / "copy.yaml"
    copy.write_text("# a lab's comment\n" + load_profile_text("smoke"), encoding="utf-8")
    assert load_profile(str(copy)).sha256 == shipped.sha256
    changed = load_profile(str(_write(tmp_path, soak__duration_s=30.0)))
    assert changed.sha256 != shipped.sha256


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"soak__duration_seconds": 5}, "soak.duration_seconds", "unknown key"),
        ({"inventory__vram_total_min_gib": "six"}, "inventory.vram_total_min_gib", "number"),
        ({"soak__throttle_time_max_pct": 150}, "soak.throttle_time_max_pct", "less than or equal to 100"),
        ({"inventory__architecture_min": "fermi"}, "inventory.architecture_min", "ampere"),
        ({"inventory__driver_min_version": "latest"}, "inventory.driver_min_version", "565.00"),
        ({"performance__metrics": ["tokens_per_s"]}, "performance.metrics", "unknown metric"),
        ({"function__repetitions": 1}, "function.repetitions", "greater than or equal to 2"),
    ],
)
def test_a_bad_profile_is_one_line_naming_the_field_and_exit_2(tmp_path, changes, field, words):
    path = _write(tmp_path, **changes)
    with pytest.raises(BenchError) as caught:
        load_profile(str(path))
    line = caught.value.one_line()
    assert f"{path}: {field}" in line and words in line and "\n" not in line
    result = CliRunner().invoke(app, ["qualify", "--profile", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and field in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()  # nothing ran, nothing was written


def test_unknown_profile_name_and_missing_file_say_what_exists(tmp_path):
    with pytest.raises(BenchError, match="choose one of default, smoke"):
        load_profile("gpu-lab")
    with pytest.raises(BenchError, match="no such profile file"):
        load_profile(str(tmp_path / "missing.yaml"))


def test_not_yaml_and_not_a_mapping_are_refused(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(BenchError, match="not valid YAML at line"):
        load_profile(str(bad))
    bad.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(BenchError, match="a profile is a YAML mapping"):
        load_profile(str(bad))


def test_a_profile_without_its_kind_or_of_a_future_version_is_refused_by_the_one_loader(tmp_path):
    data = yaml.safe_load(load_profile_text("smoke"))
    del data["kind"]
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(BenchError, match="not a bench qualification profile file"):
        load_profile(str(path))
    data["kind"], data["schema_version"] = "bench.qualify.profile", 9
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(BenchError, match="schema_version 9; this bench reads 1"):
        load_profile(str(path))


def test_a_qualification_report_of_another_kind_is_refused(tmp_path):
    from bench.qualify.report import load_qualification

    path = tmp_path / "r.json"
    path.write_text('{"kind": "bench.result", "schema_version": 2}', encoding="utf-8")
    with pytest.raises(BenchError, match="not a bench qualification report file"):
        load_qualification(path)
