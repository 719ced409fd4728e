"""Candidate and reference runs split by where they ran, and their rounds pooled (no I/O, no statistics).

A run's points are grouped by (GPU or CPU, driver, onnxruntime-genai): a document with CPU and GPU
sessions lands in two groups. Rounds within a group are pooled by point id (``bench.compare.pooling``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bench.compare.baselines import BaselineDocument
from bench.compare.context import GroupKey, RunContext, group_key, run_context
from bench.compare.pooling import baseline_from_results
from bench.errors import BenchError
from bench.results.schema import Point, ResultDocument


@dataclass(frozen=True)
class RunGroup:
    key: GroupKey
    context: RunContext  # of the group's first session
    documents: tuple[ResultDocument, ...]  # each holding only this group's points and sessions


def split_by_context(documents: Sequence[ResultDocument]) -> list[RunGroup]:
    """Runs split by where their points ran, in the order first seen."""
    parts: dict[GroupKey, list[ResultDocument]] = {}
    contexts: dict[GroupKey, RunContext] = {}
    for document in documents:
        sessions = {s.id: s for s in document.sessions}
        by_key: dict[GroupKey, list[Point]] = defaultdict(list)
        for point in document.points:
            session = sessions.get(point.session)
            if session is None:
                raise BenchError(
                    f"point {point.id} names session {point.session!r}, which the run lacks",
                    field=document.run_id,
                )
            context = run_context(document, session)
            key = group_key(context)
            by_key[key].append(point)
            contexts.setdefault(key, context)
        for key, points in by_key.items():
            used = {p.session for p in points}
            part = document.model_copy(
                update={"points": points, "sessions": [s for s in document.sessions if s.id in used]}
            )
            parts.setdefault(key, []).append(part)
    return [RunGroup(key, contexts[key], tuple(docs)) for key, docs in parts.items()]


def references_to_baselines(
    references: Sequence[ResultDocument | BaselineDocument],
) -> list[BaselineDocument]:
    """Baseline files as they are; result files pooled per GPU/version group into measured baselines."""
    baselines = [r for r in references if isinstance(r, BaselineDocument)]
    results = [r for r in references if isinstance(r, ResultDocument)]
    for group in split_by_context(results):
        name = "runs-" + "".join(
            ch if ch.isalnum() or ch in "._-" else "-" for ch in group.documents[0].run_id
        )
        baselines.append(baseline_from_results(group.documents, name=name))
    return baselines
