"""Result documents: derived statistics, round trip, refusal of foreign files, atomic writes, exports."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from bench.atomic import atomic_write_text
from bench.errors import BenchError
from bench.results.export import to_csv, to_markdown
from bench.results.files import expand_result_paths, load_result, write_result
from bench.results.schema import Metric
from bench.statistics import summarize
from tests.fakes.documents import make_document

DOC_POINTS = {
    (16, 1, 8): {
        "ttft_ms": [2.0, 4.0, 6.0],
        "decode_tokens_per_s": [100.0, 110.0, 90.0],
        "itl_ms": [1.0] * 21,
    },
    (64, 2, 8): {"ttft_ms": [8.0, 8.0, 8.0], "decode_tokens_per_s": [50.0, 50.0, 50.0], "itl_ms": [2.0] * 21},
}


def test_summary_on_known_numbers():
    s = summarize([1.0, 2.0, 3.0, 4.0, 10.0])
    assert (s.n, s.mean, s.median, s.min, s.max) == (5, 4.0, 3.0, 1.0, 10.0)
    assert s.stdev == pytest.approx(math.sqrt(12.5))
    assert s.p90 == pytest.approx(7.6)  # linear interpolation between 4 and 10
    assert s.p99 == pytest.approx(9.76)
    assert s.cv == pytest.approx(math.sqrt(12.5) / 4.0)
    assert summarize([]) is None
    single = summarize([7.0])
    assert single.stdev == 0.0 and single.cv == 0.0
    assert math.isnan(summarize([0.0, 0.0]).cv)


def test_metric_statistics_are_derived_from_samples_and_written_for_readers():
    metric = Metric(unit="ms", samples=[1.0, 3.0])
    dumped = json.loads(metric.model_dump_json())
    assert dumped["stats"]["median"] == 2.0 and dumped["samples"] == [1.0, 3.0]
    # A stale or tampered "stats" block is ignored on load: the samples decide.
    reloaded = Metric.model_validate({**dumped, "stats": {"median": 999}})
    assert reloaded.median == 2.0


def test_round_trip_keeps_every_sample(tmp_path):
    document = make_document(DOC_POINTS)
    path = write_result(document, tmp_path / "r.json")
    loaded = load_result(path)
    assert loaded == document
    assert loaded.points[0].metrics["itl_ms"].samples == [1.0] * 21
    raw = json.loads(path.read_text())
    assert raw["schema_version"] == 2 and raw["kind"] == "bench.result"
    assert raw["points"][0]["metrics"]["ttft_ms"]["stats"]["median"] == 4.0
    assert raw["sessions"][0]["model"]["kind"] == "twin"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "corrupt result file: not valid JSON"),
        ('{"kind": "other"}', "not a bench result file"),
        ('{"kind": "bench.result", "schema_version": 99}', "foreign result schema: schema_version 99"),
        ('{"kind": "bench.result"}', "foreign result schema: schema_version None"),
        ('{"kind": "bench.result", "schema_version": 1, "run_id": "x"}', "invalid result file at status"),
    ],
)
def test_foreign_or_damaged_files_are_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(BenchError) as info:
        load_result(path)
    assert message in info.value.one_line()
    assert str(path) in info.value.one_line()


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(BenchError, match="no such result file"):
        load_result(tmp_path / "nope.json")
    with pytest.raises(BenchError, match="no such file or folder"):
        expand_result_paths([tmp_path / "nope"])


def test_atomic_write_leaves_the_old_file_when_interrupted(tmp_path):
    path = tmp_path / "r.json"
    atomic_write_text(path, "old")

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        from bench.atomic import atomic_writer

        with atomic_writer(path) as handle:
            handle.write("half of the new cont")
            raise Boom
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temp file left behind


def test_csv_has_a_row_per_point_with_medians():
    rows = list(csv.DictReader(io.StringIO(to_csv(make_document(DOC_POINTS)))))
    assert [r["point"] for r in rows] == [
        "twin:mistral-nemo-12b:tiny|cpu|p16|b1|o8",
        "twin:mistral-nemo-12b:tiny|cpu|p64|b2|o8",
    ]
    assert float(rows[0]["ttft_ms_median"]) == 4.0
    assert float(rows[1]["decode_tokens_per_s_median"]) == 50.0
    assert rows[0]["model_kind"] == "twin"
    assert rows[0]["e2e_latency_ms_median"] == ""  # not measured: empty, never 0


def test_markdown_is_a_llama_bench_style_table():
    text = to_markdown(make_document(DOC_POINTS))
    lines = text.splitlines()
    assert "no GPU (test: no GPU)" in lines[0]
    assert lines[2].startswith("| model | kind | provider | batch | prompt | output |")
    assert (
        "| twin:mistral-nemo-12b:tiny | twin | cpu | 1 | 16 | 8 | 4.00 ± 2.00 | – | 100.00 ± 10.00 | valid |"
        in lines
    )


def test_atomic_write_gives_new_files_the_usual_permissions(tmp_path):
    import os
    import stat
    import sys

    path = tmp_path / "r.json"
    atomic_write_text(path, "x")
    if sys.platform != "win32":
        umask = os.umask(0)
        os.umask(umask)
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_markdown_export_escapes_html_taken_from_the_file():
    document = make_document(DOC_POINTS, scenario="<script>alert(1)</script>")
    document.environment.host.cpu_model = "<img src=x onerror=alert(2)> | CPU"
    text = to_markdown(document)
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text.splitlines()[0]
