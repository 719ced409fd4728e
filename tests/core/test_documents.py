"""The one loader of versioned documents: kinds, versions, upgrades, one read per file, lenient folders."""

from __future__ import annotations

import json
import shutil

import pytest
from pydantic import BaseModel

from bench import documents
from bench.catalogue import shipped_dir
from bench.compare.baselines import BASELINE_DOCUMENT
from bench.compare.inputs import load_document
from bench.documents import DocumentKind, load_any, load_many
from bench.errors import BenchError
from bench.results.files import load_result, load_results, write_result
from bench.results.schema import RESULT_DOCUMENT, SCHEMA_VERSION, ResultDocument
from tests.dashboard.conftest import NORMAL_1

SHIPPED_BASELINE = shipped_dir("baselines") / "derived-ada-rtx-4090.json"


def test_a_version_1_result_still_loads_and_means_the_same():
    raw = json.loads(NORMAL_1.read_text(encoding="utf-8"))
    assert raw["schema_version"] == 1 and SCHEMA_VERSION == 2
    document = load_result(NORMAL_1)
    assert document.schema_version == 2  # upgraded in memory; the file is untouched
    assert [p.id for p in document.points] == [p["id"] for p in raw["points"]]
    first = raw["points"][0]
    assert document.points[0].metrics["ttft_ms"].samples == first["metrics"]["ttft_ms"]["samples"]
    assert document.points[0].status == first["status"]


def test_a_written_result_is_version_2_and_round_trips(tmp_path):
    document = load_result(NORMAL_1)
    path = write_result(document, tmp_path / "again.json")
    assert json.loads(path.read_text(encoding="utf-8"))["schema_version"] == 2
    assert load_result(path) == document


def test_upgrades_run_step_by_step_from_the_files_version():
    class Doc(BaseModel):
        kind: str
        schema_version: int
        value: int

    steps: list[int] = []

    def to_2(data: dict) -> dict:
        steps.append(2)
        return data | {"value": data["old_value"] * 10} if "old_value" in data else data

    def to_3(data: dict) -> dict:
        steps.append(3)
        return {k: v for k, v in data.items() if k != "old_value"}

    kind = DocumentKind(kind="t.doc", what="test", model=Doc, version=3, upgrades={2: to_2, 3: to_3})
    parsed = kind.parse({"kind": "t.doc", "schema_version": 1, "old_value": 4}, origin="x")
    assert (parsed.value, parsed.schema_version, steps) == (40, 3, [2, 3])
    steps.clear()
    assert kind.parse({"kind": "t.doc", "schema_version": 3, "value": 1}, origin="x").value == 1 and not steps
    with pytest.raises(BenchError, match="foreign test schema: schema_version 4; this bench reads 1, 2, 3"):
        kind.parse({"kind": "t.doc", "schema_version": 4, "value": 1}, origin="x")
    with pytest.raises(ValueError, match="no upgrade to version"):
        DocumentKind(kind="t.doc", what="test", model=Doc, version=3, upgrades={3: to_3})


def test_each_file_is_read_and_parsed_once(monkeypatch):
    calls: list[str] = []
    real = json.loads
    monkeypatch.setattr(documents.json, "loads", lambda text: calls.append("parse") or real(text))
    assert isinstance(load_document(NORMAL_1), ResultDocument)
    assert load_document(SHIPPED_BASELINE).name == "derived-ada-rtx-4090"
    assert calls == ["parse", "parse"]


def test_a_file_of_another_kind_is_named_in_one_line(tmp_path):
    other = tmp_path / "other.json"
    other.write_text('{"kind": "something.else"}', encoding="utf-8")
    with pytest.raises(BenchError, match="neither a bench result nor a bench baseline") as caught:
        load_any(other, (RESULT_DOCUMENT, BASELINE_DOCUMENT))
    assert caught.value.field == str(other) and "\n" not in str(caught.value)


def test_a_folder_loads_leniently_with_each_bad_file_and_its_reason(tmp_path):
    shutil.copy(NORMAL_1, tmp_path / "good.json")
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "future.json").write_text('{"kind": "bench.result", "schema_version": 9}', encoding="utf-8")
    loaded = load_many([tmp_path], load_result, lenient=True)
    assert [path.name for path, _ in loaded.documents] == ["good.json"]
    problems = {p.path.name: p.reason for p in loaded.problems}
    assert problems.keys() == {"broken.json", "future.json"}
    assert problems["broken.json"].startswith("corrupt result file: not valid JSON")
    assert (
        "schema_version 9" in problems["future.json"]
        and "bench version that wrote it" in problems["future.json"]
    )
    # Strict loading and a file named on its own stay errors.
    with pytest.raises(BenchError, match="not valid JSON"):
        load_results([tmp_path])
    with pytest.raises(BenchError, match="not valid JSON"):
        load_many([tmp_path / "broken.json"], load_result, lenient=True)
