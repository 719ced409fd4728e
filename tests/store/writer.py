"""One concurrent writer for test_concurrency: ``python -m tests.store.writer URL PATH...`` ingests the
paths (the same core function as ``bench ingest``) and prints its report as JSON.

A process of its own, like a lab machine, without importing the whole command line (which costs
seconds of CPU per process on a small shared machine).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.store import open_store
from bench.store.ingest import ingest

if __name__ == "__main__":
    url, *paths = sys.argv[1:]
    with open_store(url) as store:
        report = ingest(store, [Path(p) for p in paths])
    print(json.dumps(report.as_json()))
