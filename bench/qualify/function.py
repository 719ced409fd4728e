"""Stage 2, function: each model loads on the provider, generates exactly the forced number of tokens,
the same tokens in every repetition (greedy), and stays inside its VRAM budget. Pure: result in, rows out.
"""

from __future__ import annotations

from bench.qualify.criteria import Criterion, judged, not_judged
from bench.qualify.profile import FunctionCriteria
from bench.results.schema import Point, ResultDocument, Session
from bench.telemetry.types import Figure


def judge_load_failure(model: str, error: str) -> list[Criterion]:
    """The model did not load: that fails the stage; what needs a loaded model is not judged."""
    rows = [
        judged(
            "function",
            "model loads",
            ok=False,
            subject=model,
            threshold="loads",
            measured="failed",
            reason=error,
        )
    ]
    for name in ("exact token count", "greedy output identical across repetitions"):
        rows.append(
            not_judged("function", name, subject=model, threshold="-", reason="the model did not load")
        )
    return rows


def judge_function(
    document: ResultDocument, criteria: FunctionCriteria, *, model: str, no_gpu: str | None
) -> list[Criterion]:
    """The rows for ``model`` from its function run (one point, ``criteria.repetitions`` repetitions)."""
    session = document.sessions[0] if document.sessions else None  # one model per function run
    points = [p for p in document.points if session is not None and p.session == session.id]
    if session is None or not points:
        why = "; ".join(document.status_reasons) or f"run {document.status}"
        return [
            not_judged(
                "function", "model loads", subject=model, threshold="loads", reason=f"nothing measured: {why}"
            )
        ]
    point = points[0]
    key = point.model
    rows = [
        judged(
            "function",
            "model loads",
            ok=session.error is None,
            subject=key,
            threshold=f"loads with provider {session.provider}",
            measured=_load_time(session),
            reason=session.error or "",
        ),
        _token_count(point),
        _determinism(point),
    ]
    budget = criteria.memory_budgets.get(key)
    after_load = session.telemetry.vram_after_load_mib if session.telemetry else None
    peak = point.telemetry.vram_peak_mib if point.telemetry else None
    rows.append(
        _memory(
            "VRAM after load",
            key,
            after_load,
            budget.after_load_max_mib if budget else None,
            no_gpu,
            floor_mib=budget.after_load_min_mib if budget else None,
        )
    )
    shape = f"p{point.params.prompt_tokens}|b{point.params.batch_size}|o{point.params.output_tokens}"
    rows.append(_memory(f"VRAM peak at {shape}", key, peak, budget.peak_max_mib if budget else None, no_gpu))
    return rows


def _load_time(session: Session) -> str:
    load = session.metrics.get("model_load_s")
    return f"loaded in {load.samples[0]:.1f} s" if load and load.samples else "loaded"


def _token_count(point: Point) -> Criterion:
    output = point.params.output_tokens
    name, threshold = "exact token count", f"{output} tokens per sequence in every repetition"
    if point.error and "token count" in point.error:
        return judged(
            "function", name, ok=False, subject=point.model, threshold=threshold, measured=point.error
        )
    if point.error or not point.repetitions:
        return not_judged(
            "function", name, subject=point.model, threshold=threshold, reason=point.error or "no repetition"
        )
    # The runner verifies the count of every repetition (TokenCountMismatch otherwise); the inter-token
    # latencies say the same independently: output - 1 decode steps per repetition.
    steps = len(point.metrics["itl_ms"].samples) if "itl_ms" in point.metrics else 0
    expected = point.repetitions * (output - 1)
    return judged(
        "function",
        name,
        ok=steps == expected,
        subject=point.model,
        threshold=threshold,
        measured=f"{point.repetitions} repetition(s), {steps} decode steps (expected {expected})",
    )


def _determinism(point: Point) -> Criterion:
    name, threshold = (
        "greedy output identical across repetitions",
        "every repetition's token ids = the first's",
    )
    digests = point.output_sha256
    if len(digests) < 2 or len(digests) != point.repetitions:
        why = point.error or f"{len(digests)} token digest(s) for {point.repetitions} repetition(s)"
        return not_judged("function", name, subject=point.model, threshold=threshold, reason=why)
    differing = sum(1 for d in digests[1:] if d != digests[0])
    return judged(
        "function",
        name,
        ok=differing == 0,
        subject=point.model,
        threshold=threshold,
        measured=f"{differing} of {len(digests) - 1} later repetition(s) differ (first {digests[0][:12]})",
    )


def _memory(
    name: str,
    model: str,
    figure: Figure | None,
    budget_mib: float | None,
    no_gpu: str | None,
    *,
    floor_mib: float | None = None,
) -> Criterion:
    threshold = f"<= {budget_mib:.0f} MiB" if budget_mib is not None else "a budget in the profile"
    if floor_mib is not None and budget_mib is not None:
        threshold = f"{floor_mib:.0f}-{budget_mib:.0f} MiB"
    if no_gpu:
        return not_judged("function", name, subject=model, threshold=threshold, reason=no_gpu)
    if figure is None or figure.value is None:
        why = figure.unavailable if figure is not None else "no telemetry recorded"
        return not_judged("function", name, subject=model, threshold=threshold, reason=f"unavailable: {why}")
    measured = f"{figure.value:.0f} MiB ({figure.method})"
    if budget_mib is None:
        return not_judged(
            "function",
            name,
            subject=model,
            threshold=threshold,
            measured=measured,
            reason=f"no memory budget for {model} in the profile (function.memory_budgets)",
        )
    low = floor_mib if floor_mib is not None else 0.0
    return judged(
        "function",
        name,
        ok=low <= figure.value <= budget_mib,
        subject=model,
        threshold=threshold,
        measured=measured,
        reason="below the INT4 weights alone: the model is not on the GPU" if figure.value < low else "",
    )
