"""bench ingest / bench runs / bench run --store through the real app: exit codes, reasons, secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench.cli.app import app
from bench.results.files import load_result, write_result
from bench.store import open_store
from bench.store.url import redact_command
from tests.fakes.documents import make_document
from tests.store.conftest import sqlite_url
from tests.store.documents import gpu_runs

REPO = Path(__file__).resolve().parents[2]


def invoke(*args: object, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "250", **(env or {})})


@pytest.fixture
def folder(tmp_path):
    """A lab folder: three good runs (one in a host subfolder), a truncated file, a foreign schema,
    another tool's JSON, a baselines folder and a hidden temp file (both left alone)."""
    root = tmp_path / "results"
    documents = gpu_runs(3)
    write_result(documents[0], root / "a.json")
    write_result(documents[1], root / "b.json")
    write_result(documents[2], root / "qual-4090-01" / "c.json")
    text = (root / "a.json").read_text()
    (root / "truncated.json").write_text(text[: len(text) // 2])
    (root / "qual-4090-01" / "future.json").write_text(json.dumps(json.loads(text) | {"schema_version": 99}))
    (root / "other.json").write_text('{"benchmarks": []}')
    (root / "baselines").mkdir()
    (root / "baselines" / "base.json").write_text("{}")
    (root / ".a.json.tmp.json").write_text("{")
    return root, documents


def test_ingest_reports_each_bad_file_with_its_reason_and_takes_the_rest(folder, tmp_path):
    root, documents = folder
    url = sqlite_url(tmp_path / "bench.db")
    result = invoke("ingest", root, "--store", url)
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 3
    assert any(str(root / "truncated.json") in line and "not valid JSON" in line for line in lines)
    assert any(
        str(root / "qual-4090-01" / "future.json") in line and "schema_version 99" in line for line in lines
    )
    assert any(str(root / "other.json") in line and "not a bench result" in line for line in lines)
    assert "3 added, 0 already stored, 3 skipped (of 6 file(s))" in result.stdout
    again = invoke("ingest", root / "a.json", root / "qual-4090-01" / "c.json", "--store", url, "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["present"] == [documents[0].run_id, documents[2].run_id]


def test_a_bad_file_named_on_its_own_is_an_error(folder, tmp_path):
    root, _ = folder
    named = invoke("ingest", root / "truncated.json", "--store", sqlite_url(tmp_path / "s.db"))
    assert named.exit_code == 2
    assert named.stderr.startswith(f"error: {root / 'truncated.json'}: corrupt result file: not valid JSON")


def test_ingest_exit_2_for_a_bad_url_or_a_missing_path(folder, tmp_path):
    root, _ = folder
    bad = invoke("ingest", root, "--store", "mysql://lab:hunter2@db/bench")
    assert bad.exit_code == 2
    assert bad.stderr.strip() == (
        "error: --store mysql://lab:***@db/bench: unsupported database 'mysql' (bench stores results in "
        "SQLite or PostgreSQL: sqlite:///results/bench.db or postgresql+psycopg://USER@HOST:5432/DATABASE)"
    )
    missing = invoke("ingest", tmp_path / "nope", "--store", sqlite_url(tmp_path / "s.db"))
    assert missing.exit_code == 2 and "no such file or folder" in missing.stderr


def test_runs_lists_filters_and_exports(folder, tmp_path):
    root, documents = folder
    url = sqlite_url(tmp_path / "bench.db")
    invoke("ingest", root, "--store", url)
    listed = invoke("runs", "--store", url, "--where", "driver=566.14", "--json")
    assert listed.exit_code == 0, listed.output
    body = json.loads(listed.stdout)
    assert [r["run_id"] for r in body["runs"]] == [d.run_id for d in documents]
    assert body["where"] == "driver=566.14"
    points = json.loads(invoke("runs", "--store", url, "--points", "--limit", "1", "--json").stdout)["points"]
    assert {p["run_id"] for p in points} == {documents[-1].run_id} and len(points) == 4
    none = invoke("runs", "--store", url, "--where", "driver=999")
    assert none.exit_code == 0 and "0 run(s) where driver=999" in none.stdout
    exported = invoke(
        "runs", "--store", url, "--where", f"run={documents[1].run_id}", "--export", tmp_path / "out"
    )
    assert exported.exit_code == 0, exported.output
    (path,) = (tmp_path / "out").glob("*.json")
    assert path.read_bytes() == (root / "b.json").read_bytes()
    bad = invoke("runs", "--store", url, "--where", "colour=red")
    assert bad.exit_code == 2 and "--where colour=red" in bad.stderr


def test_runs_table_shows_markup_in_names_as_text(tmp_path):
    url = sqlite_url(tmp_path / "bench.db")
    with open_store(url) as store:
        store.save(
            make_document({(128, 1, 32): {"ttft_ms": [1.0]}}, scenario="[red]x[/red]", hostname="[b]h")
        )
    listed = invoke("runs", "--store", url)
    assert "[red]x[/red]" in listed.stdout and "[b]h" in listed.stdout


def test_store_from_the_environment(tmp_path):
    url = sqlite_url(tmp_path / "env.db")
    write_result(make_document({(128, 1, 32): {"ttft_ms": [1.0]}}), tmp_path / "r.json")
    done = invoke("ingest", tmp_path / "r.json", env={"BENCH_STORE": url})
    assert done.exit_code == 0 and (tmp_path / "env.db").is_file()


def test_the_password_is_never_printed(pg_server, pg_url, folder, tmp_path):
    root, _ = folder
    secret = pg_server.password
    outputs = []
    for args in (
        ("ingest", root, "--store", pg_url),
        ("ingest", root, "--store", pg_url, "--json"),
        ("runs", "--store", pg_url),
        ("runs", "--store", pg_url, "--points", "--json"),
        ("runs", "--store", pg_url, "--where", "host=qual-*"),
    ):
        result = invoke(*args)
        assert result.exit_code in (0, 1), result.output
        outputs.append(result.output)
    wrong = pg_server.url("postgres", password="not-the-" + secret)
    refused = invoke("runs", "--store", wrong)
    assert refused.exit_code == 2
    assert "password authentication failed" in refused.stderr and ":***@" in refused.stderr
    via_env = invoke("runs", env={"BENCH_STORE": wrong})
    assert via_env.exit_code == 2 and "BENCH_STORE" not in via_env.stderr.split(":***@")[1]
    outputs += [refused.output, via_env.output]
    for output in outputs:
        assert secret not in output
        assert "not-the-" not in output
    assert any(":***@" in output for output in outputs)


def test_redact_command_masks_every_url_password():
    argv = [
        "bench",
        "run",
        "--store",
        "postgresql://u:s3cret@h/db",
        "--store=postgresql://u:p%40ss@h/db",
        "x",
    ]
    assert redact_command(argv) == [
        "bench",
        "run",
        "--store",
        "postgresql://u:***@h/db",
        "--store=postgresql://u:***@h/db",
        "x",
    ]
    assert redact_command(["--store", "sqlite:///results/bench.db"]) == [
        "--store",
        "sqlite:///results/bench.db",
    ]


@pytest.mark.slow  # a real sweep of a tiny twin
def test_bench_run_store_writes_the_file_and_ingests_it_without_the_password(pg_server, pg_url, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "run",
            "smoke",
            "--model",
            "twin:nemotron-mini-4b:tiny",
            "--repetitions",
            "1",
            "--no-baseline-check",
            "--out",
            str(tmp_path),
            "--store",
            pg_url,
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["store"].endswith(f"run {summary['run_id']} added") and ":***@" in summary["store"]
    path = Path(summary["result"])
    assert pg_server.password not in path.read_text() + done.stdout + done.stderr
    assert "--store" in load_result(path).command
    with open_store(pg_url) as store:
        assert store.load(summary["run_id"]) == load_result(path)


def test_a_run_whose_store_is_unreachable_keeps_its_file_and_says_how_to_ingest_it(tmp_path):
    from bench.errors import BenchError
    from bench.store.ingest import store_run
    from bench.store.url import store_url

    path = write_result(make_document({(128, 1, 32): {"ttft_ms": [1.0]}}), tmp_path / "r.json")
    unreachable = store_url("postgresql://lab:hunter2@127.0.0.1:1/bench")
    with pytest.raises(BenchError) as caught:
        store_run(unreachable, load_result(path), source=path)
    message = caught.value.one_line()
    assert "cannot" in message and f"bench ingest {path}" in message and ":***@" in message
    assert "hunter2" not in message
