"""The store against SQLite and a real PostgreSQL: round trip, idempotence, queries, hostile strings."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import inspect

from bench.errors import BenchError
from bench.results.files import load_result, write_result
from bench.results.schema import ResultDocument
from bench.store import Saved, open_store, parse_where
from bench.store.ingest import ingest
from bench.store.rows import column_text
from tests.fakes.documents import make_document
from tests.store.documents import gpu_runs

RECORDED = Path(__file__).resolve().parents[1] / "compare" / "data" / "smoke-normal-1.json"


def test_round_trip_re_exports_the_file_bench_wrote(store_url, tmp_path):
    documents = [load_result(RECORDED), *gpu_runs(2)]
    originals = [write_result(d, tmp_path / "in" / f"{d.run_id}.json") for d in documents]
    with open_store(store_url) as store:
        report = ingest(store, [tmp_path / "in"])
        assert sorted(report.added) == sorted(d.run_id for d in documents) and not report.skipped
        for original, document in zip(originals, documents, strict=True):
            loaded = store.load(document.run_id)
            assert loaded == document
            again = write_result(loaded, tmp_path / "out" / original.name)
            assert again.read_bytes() == original.read_bytes()  # byte for byte


def test_ingest_is_idempotent_by_run_id(store_url, tmp_path):
    for document in gpu_runs(3):
        write_result(document, tmp_path / "a" / f"{document.run_id}.json")
        write_result(document, tmp_path / "b" / "copy" / f"{document.run_id}.json")  # the same run twice
    with open_store(store_url) as store:
        first = ingest(store, [tmp_path / "a", tmp_path / "b"])
        assert len(first.added) == 3 and len(first.present) == 3 and not first.skipped
        second = ingest(store, [tmp_path])
        assert second.added == [] and len(second.present) == 6
        assert store.count() == 3
        assert len(store.points()) == 3 * 4


def test_a_different_document_under_a_stored_run_id_is_kept_out_unless_replace(store_url):
    partial = make_document({(128, 1, 32): {"ttft_ms": [1.0]}}, status="interrupted")
    final = make_document({(128, 1, 32): {"ttft_ms": [1.0]}, (256, 1, 32): {"ttft_ms": [2.0]}})
    with open_store(store_url) as store:
        assert store.save(partial).outcome is Saved.ADDED
        conflict = store.save(final)
        assert conflict.outcome is Saved.CONFLICT
        assert (conflict.stored_status, conflict.stored_points) == ("interrupted", 1)
        assert store.load(final.run_id) == partial
        assert store.save(final, replace=True).outcome is Saved.REPLACED
        assert store.load(final.run_id) == final
        assert len(store.points()) == 2


def test_summary_columns_are_the_statistics_of_the_raw_samples(store_url):
    (document,) = gpu_runs(1)
    with open_store(store_url) as store:
        store.save(document)
        stored = {p.point_id: p for p in store.points()}
    for point in document.points:
        row = stored[point.id]
        assert (row.gpu, row.architecture, row.driver) == ("NVIDIA GeForce RTX 4090", "ada", "566.14")
        for metric in ("ttft_ms", "decode_tokens_per_s", "prefill_tokens_per_s", "itl_ms", "e2e_latency_ms"):
            samples = point.metrics[metric].samples
            p10, p90, p99 = np.percentile(samples, [10, 90, 99])
            assert row.stats[metric]["n"] == len(samples)
            assert row.median(metric) == pytest.approx(point.metric_median(metric), rel=1e-12)
            assert row.stats[metric]["p10"] == pytest.approx(p10, rel=1e-12)
            assert row.stats[metric]["p90"] == pytest.approx(p90, rel=1e-12)
            assert row.stats[metric]["p99"] == pytest.approx(p99, rel=1e-12)
        assert "tpot_ms" not in row.stats  # no column: read it from the document


@pytest.fixture
def lab(store_url):
    """Three hosts: two Ada cards on two drivers, one Ampere card; two scenarios; a CPU run."""
    documents = [
        *gpu_runs(3, host="qual-4090-01", driver="566.14", tag="a"),
        *gpu_runs(
            2, host="qual-4090-02", driver="572.16", tag="b", start=datetime(2026, 10, 1, tzinfo=timezone.utc)
        ),
        *gpu_runs(
            2,
            host="qual-a100-01",
            gpu="NVIDIA A100-SXM4-80GB",
            architecture="ampere",
            driver="572.16",
            scenario="driver-compare",
            tag="c",
            start=datetime(2026, 11, 1, tzinfo=timezone.utc),
        ),
        make_document(
            {(128, 1, 32): {"ttft_ms": [5.0]}}, hostname="laptop", run_id="20261120T000000Z-cpu000"
        ),
    ]
    with open_store(store_url) as store:
        store.save_many([(d, None) for d in documents])
        yield store


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ([], {"a": 3, "b": 2, "c": 2, "cpu": 1}),
        (["driver=572.16"], {"b": 2, "c": 2}),
        (["driver=566.*"], {"a": 3}),
        (["driver=566.14,572.16", "architecture=ada"], {"a": 3, "b": 2}),
        (["arch=AMPERE"], {"c": 2}),
        (["gpu=rtx-4090"], {"a": 3, "b": 2}),  # bench's SKU id
        (["gpu=*A100*"], {"c": 2}),
        (["host=qual-4090-02"], {"b": 2}),
        (["scenario=driver-compare"], {"c": 2}),
        (["provider=cpu"], {"cpu": 1}),
        (["model=twin:nemotron-mini-4b:full", "driver=572.16"], {"b": 2, "c": 2}),
        (["genai=0.18.0"], {"a": 3, "b": 2, "c": 2, "cpu": 1}),
        (["since=2026-10-01", "until=2026-10-31"], {"b": 2}),
        (["since=2026-10-02", "until=2026-11-01"], {"b": 1, "c": 1}),  # until a date includes that day
        (["until=2026-09-02"], {"a": 2}),
        (["run=20261001T000000Z-b000"], {"b": 1}),
        (["driver=566.14", "driver=572.16"], {}),  # ANDed: nothing is both
        (["host=nobody"], {}),
    ],
)
def test_runs_filtered_by_every_key(lab, where, expected):
    found = lab.runs(parse_where(where))
    counts: dict[str, int] = {}
    for run in found:
        tag = "cpu" if run.host == "laptop" else run.run_id.rsplit("-", 1)[1][0]
        counts[tag] = counts.get(tag, 0) + 1
    assert counts == expected
    assert [r.started_at for r in found] == sorted(r.started_at for r in found)


def test_points_filtered_by_where_the_point_ran(lab):
    points = lab.points(parse_where(["architecture=ada", "model=twin:mistral-nemo-12b:full"]))
    assert len(points) == 5 * 2  # 5 Ada runs x 2 prompts of that model
    assert {p.driver for p in points} == {"566.14", "572.16"}
    assert all(p.model == "twin:mistral-nemo-12b:full" and p.gpu_sku == "rtx-4090" for p in points)
    newest = lab.runs(parse_where(["architecture=ada"]), limit=2)
    assert [r.host for r in newest] == ["qual-4090-02", "qual-4090-02"]
    documents = lab.documents(parse_where(["host=qual-a100-01"]))
    assert [d.environment.host.hostname for d in documents] == ["qual-a100-01"] * 2


HOSTILE = [
    "x'); DROP TABLE runs; --",
    'a"b\\c',
    "100% _under_ [bold red]markup[/]",
    "ünïcödé ✓ with a NUL \u0000 inside",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_stay_data(store_url, text):
    document = make_document({(128, 1, 32): {"ttft_ms": [1.0]}}, scenario=text, hostname=text)
    decoy = make_document(
        {(128, 1, 32): {"ttft_ms": [1.0]}}, run_id="20261125T120000Z-decoy0", hostname="100X ab"
    )
    with open_store(store_url) as store:
        store.save(document)
        store.save(decoy)
        # Columns hold the text as written (a NUL, which PostgreSQL text cannot hold, as U+FFFD) ...
        assert [r.scenario for r in store.runs(parse_where([f"host={text}"]))] == [column_text(text)]
        # ... and the document every character.
        assert store.load(document.run_id).environment.host.hostname == text
        assert set(inspect(store.engine).get_table_names()) >= {"runs", "points"}
        assert store.count() == 2
        # SQL wildcards in a value are literal characters: "100%*" does not match the decoy "100X ab".
        expected = [document.run_id] if text.startswith("100%") else []
        assert [r.run_id for r in store.runs(parse_where(["host=100%*"]))] == expected


def test_a_missing_run_is_a_bench_error(store_url):
    with open_store(store_url) as store, pytest.raises(BenchError, match="no such run"):
        store.load("nope")


def test_where_rejects_unknown_keys_and_bad_times():
    with pytest.raises(BenchError, match=r"--where colour=red.*keys: model"):
        parse_where(["colour=red"])
    with pytest.raises(BenchError, match="not a date or time"):
        parse_where(["since=yesterday"])
    with pytest.raises(BenchError, match="expected KEY=VALUE"):
        parse_where(["driver"])
    now = datetime(2026, 12, 2, 12, tzinfo=timezone.utc)
    assert parse_where(["since=7d"], now=now).since == datetime(2026, 11, 25, 12, tzinfo=timezone.utc)


def test_the_default_store_is_sqlite_under_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BENCH_STORE", raising=False)
    document: ResultDocument = make_document({(128, 1, 32): {"ttft_ms": [1.0]}})
    with open_store() as store:
        store.save(document)
    assert (tmp_path / "results" / "bench.db").is_file()
