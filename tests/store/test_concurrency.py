"""Eight processes ingesting into one new store at once: every run lands exactly once, nothing is lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.results.files import write_result
from bench.results.schema import ResultDocument
from bench.store import open_store
from tests.fakes.documents import make_document

REPO = Path(__file__).resolve().parents[2]
WRITERS = 8


def _runs(count: int, host: str) -> list[ResultDocument]:
    return [
        make_document(
            {(128, 1, 16): {"ttft_ms": [1.0, 2.0 + i]}, (512, 1, 16): {"ttft_ms": [3.0, 4.0]}},
            run_id=f"20261125T12{i:04d}Z-{host}",
            hostname=host,
        )
        for i in range(count)
    ]


@pytest.mark.slow  # 8 Python processes: seconds on a quiet machine, minutes on a busy one
def test_eight_concurrent_writers_lose_nothing_and_duplicate_nothing(store_url, tmp_path):
    shared = _runs(16, "shared")  # every writer ingests these: the same run ids race
    own = {w: _runs(2, f"host-{w}") for w in range(WRITERS)}
    for document in shared:
        write_result(document, tmp_path / "shared" / f"{document.run_id}.json")
    for w, documents in own.items():
        for document in documents:
            write_result(document, tmp_path / f"own{w}" / f"{document.run_id}.json")

    # The store does not exist yet: the writers also race to create and migrate it.
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench",
                "ingest",
                str(tmp_path / "shared"),
                str(tmp_path / f"own{w}"),
                "--store",
                store_url,
                "--json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        for w in range(WRITERS)
    ]
    reports = []
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        reports.append(json.loads(out))

    expected = {d.run_id: d for d in [*shared, *(d for docs in own.values() for d in docs)]}
    added = [run_id for report in reports for run_id in report["added"]]
    assert sorted(added) == sorted(expected)  # each run added by exactly one writer
    for report in reports:
        assert len(report["added"]) + len(report["present"]) == report["files"] == 16 + 2
        assert report["skipped"] == []
    with open_store(store_url) as store:
        assert store.count() == len(expected)
        assert len(store.points()) == 2 * len(expected)
        for run_id, document in expected.items():
            assert store.load(run_id) == document
