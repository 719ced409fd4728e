"""Result documents for the store's tests: small GPU sweeps on named hosts, GPUs and drivers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bench.results.schema import RESULT_DOCUMENT, ResultDocument
from tests.dashboard.synthetic import History, run_dicts


def gpu_runs(
    runs: int,
    *,
    host: str = "qual-4090-01",
    gpu: str = "NVIDIA GeForce RTX 4090",
    architecture: str = "ada",
    driver: str = "566.14",
    scenario: str = "qualification",
    start: datetime | None = None,
    seed: int = 0,
    tag: str = "",
) -> list[ResultDocument]:
    """``runs`` runs of 2 models x 2 prompts (4 points, 3 repetitions), one day apart."""
    history = History(
        runs=runs,
        prompts=(128, 1024),
        batches=(1,),
        outputs=(16,),
        repetitions=3,
        gpu=gpu,
        architecture=architecture,
        drivers=((0, driver),),
        hostname=host,
        seed=seed,
    )
    documents = []
    for index, data in enumerate(run_dicts(history)):
        started = (start or datetime(2026, 9, 1, 2, 0, tzinfo=timezone.utc)) + timedelta(days=index)
        data["run_id"] = f"{started.strftime('%Y%m%dT%H%M%SZ')}-{tag or host[-6:]}{index:03d}"
        data["started_at"] = started.isoformat()
        data["finished_at"] = (started + timedelta(minutes=20)).isoformat()
        data["scenario"]["name"] = scenario
        documents.append(RESULT_DOCUMENT.parse(data, origin="test"))  # the template is an older version
    return documents
