"""Names resolve in the user's folder first, then in the files shipped inside the package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import bench
from bench import catalogue
from bench.compare.inputs import resolve_reference
from bench.scenarios import find_scenario


def test_shipped_files_live_inside_the_package():
    package = Path(bench.__file__).resolve().parent
    for kind, example in (("scenarios", "smoke.yaml"), ("baselines", "derived-ada-rtx-4090.json")):
        folder = catalogue.shipped_dir(kind)  # type: ignore[arg-type]
        assert folder is not None and folder.resolve().is_relative_to(package)
        assert (folder / example).is_file()
    assert catalogue.shipped_dir("results") is None


def test_a_user_file_wins_over_the_shipped_one_of_the_same_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert find_scenario("smoke", search_dirs=catalogue.search_dirs("scenarios")).parent.resolve() == (
        catalogue.shipped_dir("scenarios").resolve()  # type: ignore[union-attr]
    )
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "smoke.yaml").write_text("name: smoke\n")
    assert find_scenario("smoke", search_dirs=catalogue.search_dirs("scenarios")) == (
        tmp_path / "scenarios" / "smoke.yaml"
    )
    (tmp_path / "results" / "baselines").mkdir(parents=True)
    mine = tmp_path / "results" / "baselines" / "derived-ada-rtx-4090.json"
    mine.write_text("{}")
    assert resolve_reference("derived-ada-rtx-4090") == mine
    assert catalogue.search_dirs("baselines")[0] == tmp_path / "results" / "baselines"


def test_the_search_dirs_are_not_repeated_when_the_user_folder_is_the_shipped_one(tmp_path):
    shipped = catalogue.shipped_dir("scenarios")
    assert shipped is not None
    assert catalogue.search_dirs("scenarios", cwd=shipped.parent.parent / "x") == [
        shipped.parent.parent / "x" / "scenarios",
        shipped,
    ]


def test_baseline_dirs_are_the_folders_holding_a_baseline_user_first(tmp_path):
    shipped = catalogue.shipped_dir("baselines")
    assert catalogue.baseline_dirs(cwd=tmp_path) == [shipped]  # no user folder
    (tmp_path / "results" / "baselines").mkdir(parents=True)
    (tmp_path / "results" / "baselines" / "README.md").write_text("x")
    assert catalogue.baseline_dirs(cwd=tmp_path) == [shipped]  # a folder without a baseline is skipped
    (tmp_path / "results" / "baselines" / "mine.json").write_text("{}")
    assert catalogue.baseline_dirs(cwd=tmp_path) == [tmp_path / "results" / "baselines", shipped]


def test_bench_finds_its_scenarios_and_baselines_from_an_unrelated_folder(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bench", "baseline", "list", "--json"],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "COLUMNS": "200"}, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert '"derived-ada-rtx-4090"' in done.stdout
