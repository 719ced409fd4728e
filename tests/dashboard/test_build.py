"""The HTML page and the `bench dashboard` command (the browser test draws it: test_browser.py)."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from typer.testing import CliRunner

from bench.cli.app import app
from bench.dashboard import write_dashboard
from bench.dashboard.build import payload_json, plotly_js, render_html
from bench.dashboard.data import build_payload
from bench.errors import BenchError
from bench.results.files import load_result
from tests.dashboard.conftest import HOSTILE, NORMAL_1, NORMAL_2, SLOW, inject
from tests.dashboard.synthetic import History, documents

DATA_SCRIPT = re.compile(r'<script type="application/json" id="bench-data">(.*?)</script>', re.S)


def page_payload(html: str) -> dict:
    match = DATA_SCRIPT.search(html)
    assert match, "no data script in the page"
    return json.loads(match.group(1))


def test_payload_json_cannot_close_the_script_element_and_reads_back_the_same():
    payload = {"scenario": HOSTILE, "host": "a</script><!--b&c", "line": "x\u2028y"}
    text = payload_json(payload)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == payload


def test_page_embeds_plotly_once_and_escapes_the_title():
    payload = build_payload(documents=[load_result(NORMAL_1)], title=HOSTILE)
    html = render_html(payload)
    assert html.count(plotly_js()[:200]) == 1
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>" in html
    assert HOSTILE not in html  # neither in the title nor in the data
    assert page_payload(html) == json.loads(json.dumps(payload))
    # Self-contained: nothing is fetched (no external script, style sheet or image).
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=|<link\b", html)


def test_write_dashboard_with_a_report_of_its_own(tmp_path):
    out = write_dashboard(
        documents=[load_result(SLOW)],
        baselines=[load_result(NORMAL_1), load_result(NORMAL_2)],
        output=tmp_path / "deep" / "index.html",
        title="slowed run",
    )
    payload = page_payload(out.read_text(encoding="utf-8"))
    assert payload["title"] == "slowed run"
    assert payload["verdict"]["state"] == "regression"
    assert payload["verdict"]["rule"].startswith("regression = Mann-Whitney U")


def test_without_a_baseline_runs_on_two_drivers_become_a_version_comparison(tmp_path):
    history = History(
        runs=4,
        prompts=(512,),
        batches=(1,),
        outputs=(64,),
        drivers=((0, "565.90"), (2, "570.12")),
    )
    out = write_dashboard(documents=documents(history), output=tmp_path / "index.html")
    payload = page_payload(out.read_text(encoding="utf-8"))
    verdict = payload["verdict"]
    assert verdict["state"] != "none"
    assert verdict["notes"][0].startswith("VERSION COMPARISON: no baseline given")
    assert {s["versions"] for s in payload["series"]} == {"driver 570.12, onnxruntime-genai 0.18.0"}
    assert sorted(r["role"] for r in payload["runs"]) == ["baseline", "baseline", "candidate", "candidate"]


def test_write_dashboard_refuses_no_documents_and_a_folder(tmp_path):
    with pytest.raises(BenchError, match="no result files"):
        write_dashboard(documents=[], output=tmp_path / "x.html")
    with pytest.raises(BenchError, match="is a folder"):
        write_dashboard(documents=[load_result(NORMAL_1)], output=tmp_path)


def test_cli_writes_the_page_with_the_verdict(tmp_path):
    candidate = inject(NORMAL_2, tmp_path / "new.json", factors={}, run_id="20261125T080000Z-cli000")
    out = tmp_path / "dash" / "index.html"
    result = CliRunner().invoke(
        app,
        ["dashboard", str(candidate), "--baseline", str(NORMAL_1), "--history", str(SLOW), "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert f"dashboard: {out}" in result.output
    payload = page_payload(out.read_text(encoding="utf-8"))
    assert payload["verdict"]["state"] in {"no_change", "improvement"}
    roles = {r["id"]: r["role"] for r in payload["runs"]}
    assert roles == {
        "20261125T080000Z-cli000": "candidate",
        load_result(NORMAL_1).run_id: "baseline",
        load_result(SLOW).run_id: "history",
    }


def test_cli_without_arguments_publishes_the_newest_run_of_results(tmp_path, monkeypatch):
    results = tmp_path / "results"
    results.mkdir()
    for source in (NORMAL_1, SLOW, NORMAL_2):
        shutil.copy(source, results / source.name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BENCH_RESULTS_DIR", raising=False)
    result = CliRunner().invoke(app, ["dashboard"])
    assert result.exit_code == 0, result.output
    payload = page_payload((tmp_path / "dashboards" / "index.html").read_text(encoding="utf-8"))
    newest = max((load_result(p) for p in (NORMAL_1, SLOW, NORMAL_2)), key=lambda d: d.started_at)
    assert [r["id"] for r in payload["runs"] if r["role"] == "candidate"] == [newest.run_id]
    assert sum(1 for r in payload["runs"] if r["role"] == "history") == 2


def test_cli_with_no_result_files_is_a_user_error(tmp_path, monkeypatch):
    monkeypatch.setenv("BENCH_RESULTS_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["dashboard"])
    assert result.exit_code == 2
    assert "no result files" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(app, ["dashboard", str(empty)])
    assert result.exit_code == 2 and "no result files" in result.output
