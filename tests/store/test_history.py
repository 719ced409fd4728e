"""The dashboard's history from the store's summary rows; a baseline query that selects nothing."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bench.dashboard.data import build_payload
from bench.results.files import write_result
from bench.runner import RunOutcome
from bench.store import open_store, parse_where
from bench.store import store as store_module
from bench.store.history import stored_history
from tests.compare.test_engine import run
from tests.fakes.documents import make_document
from tests.store.documents import gpu_runs
from tests.store.test_commands_on_store import invoke

GENERATED = datetime(2026, 12, 2, tzinfo=timezone.utc)


def _lab_history():
    old = gpu_runs(6, driver="566.14", tag="o", seed=1)
    new = gpu_runs(6, driver="572.16", tag="n", seed=2, start=old[-1].started_at.replace(day=20))
    # A run that stopped half way (status reasons), and a CPU run on a machine without a GPU.
    stopped = new[2].model_copy(
        update={"status": "interrupted", "status_reasons": ["interrupted (Ctrl-C) after 2 of 4 points"]}
    )
    cpu = make_document({(128, 1, 16): {"ttft_ms": [5.0, 6.0, 7.0]}}, run_id="20260915T000000Z-cpu000")
    return [*old, *new[:2], stopped, *new[3:], cpu]


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    """Where every document the store parses from now on came from (its ``origin``)."""
    origins: list[str] = []
    real = store_module.parse_document
    monkeypatch.setattr(
        store_module,
        "parse_document",
        lambda text, *, origin: origins.append(origin) or real(text, origin=origin),
    )
    return origins


def test_the_history_from_summary_rows_is_the_history_from_the_documents(store_url, request):
    documents = sorted(_lab_history(), key=lambda d: d.started_at)
    newest, rest = documents[-1], documents[:-1]
    with open_store(store_url) as store:
        store.save_many([(d, None) for d in documents])
        parsed = request.getfixturevalue("parsed")
        summaries = stored_history(store, parse_where([]))[:-1]
    assert parsed == []  # not one document read: the rows alone
    assert [s.run_id for s in summaries] == [d.run_id for d in rest]

    from_documents = build_payload(documents=[newest], history=rest, generated_at=GENERATED)
    from_store = build_payload(documents=[newest], history=summaries, generated_at=GENERATED)
    assert from_store["runs"] == from_documents["runs"]
    assert from_store["trend"] == from_documents["trend"]
    assert from_store["verdict"] == from_documents["verdict"]
    assert {k: m["twin"] for k, m in from_store["models"].items()} == {
        k: m["twin"] for k, m in from_documents["models"].items()
    }
    rows = {row["id"]: row for row in from_store["runs"]}
    assert rows[_stopped(documents)]["reasons"] == ["interrupted (Ctrl-C) after 2 of 4 points"]
    assert rows["20260915T000000Z-cpu000"]["gpuReason"]  # why the CPU run has no GPU, from the row
    assert any("driver 572.16" in v for v in from_store["trend"]["versions"])


def _stopped(documents) -> str:
    return next(d.run_id for d in documents if d.status == "interrupted")


def test_a_where_selects_whole_runs_for_the_history(store_url):
    """A point-level filter selects runs (as every store query does) and each keeps all its points."""
    documents = gpu_runs(3, driver="572.16", tag="w")
    with open_store(store_url) as store:
        store.save_many([(d, None) for d in documents])
        summaries = stored_history(store, parse_where(["model=*12b*"]))
    assert [len(s.points) for s in summaries] == [len(d.points) for d in documents]
    assert {p.model for s in summaries for p in s.points} == {p.model for p in documents[0].points}


def test_dashboard_from_the_store_reads_one_document(store_url, tmp_path, request):
    documents = gpu_runs(5, driver="572.16", tag="d")
    with open_store(store_url) as store:
        store.save_many([(d, None) for d in documents])
    parsed = request.getfixturevalue("parsed")
    done = invoke("dashboard", "--store", store_url, "-o", tmp_path / "page.html")
    assert done.exit_code == 0, done.output
    assert "1 candidate run(s), 4 in history" in done.stdout
    assert len(parsed) == 1 and documents[-1].run_id in parsed[0]


@pytest.fixture
def measured(tmp_path, monkeypatch):
    """``bench gate`` measures this instead of running the scenario."""
    document = run(seed=3, run_id="20261202T000000Z-gate01")
    path = write_result(document, tmp_path / "out" / "gated.json")
    monkeypatch.setattr("bench.cli.gate.execute_run", lambda **_: RunOutcome(document=document, path=path))
    return document


def test_gate_on_a_store_baseline_that_selects_nothing_is_inconclusive(store_url, measured, tmp_path):
    """A lab's first gate on a new driver: nothing to compare with yet is INCONCLUSIVE (3), not bad input,
    and the run goes into the store to be the next one's baseline."""
    done = invoke(
        "gate", "smoke", "--baseline", "store:driver=999", "--store", store_url, "--out", tmp_path / "o"
    )
    stderr = " ".join(done.stderr.split())
    assert done.exit_code == 3, done.output
    assert "gate: INCONCLUSIVE" in stderr and "no run in the store where driver=999" in stderr
    assert "store a baseline run" in stderr
    with open_store(store_url) as store:
        assert store.load(measured.run_id) == measured


def test_compare_with_a_store_baseline_that_selects_nothing_is_inconclusive(store_url, tmp_path):
    candidate = write_result(run(seed=4, run_id="20261202T000000Z-cand01"), tmp_path / "cand.json")
    done = invoke("compare", candidate, "store:driver=999", "--store", store_url)
    assert done.exit_code == 3, done.output
    assert "no run in the store where driver=999" in " ".join(done.stderr.split())
