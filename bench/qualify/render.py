"""The qualification report rendered: one self-contained HTML page (plotly inlined, works offline) and
JUnit XML. Readers only: they never judge. Every text from files or devices is escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path

from bench.dashboard.build import payload_json, plotly_js
from bench.outcome import Outcome
from bench.qualify.criteria import Status
from bench.qualify.report import QualificationReport
from bench.report.junit import CaseStatus, JUnitCase, write_junit

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_CASE = {
    Status.PASS: CaseStatus.PASSED,
    Status.FAIL: CaseStatus.FAILED,
    Status.NOT_JUDGED: CaseStatus.SKIPPED,
}
_COLOURS = {Outcome.PASS: "#1e8e3e", Outcome.FAIL: "#d62728", Outcome.INCONCLUSIVE: "#b26b00"}


def junit_cases(report: QualificationReport) -> list[JUnitCase]:
    return [
        JUnitCase(
            classname=f"qualify.{c.stage}",
            name=c.label,
            status=_CASE[c.status],
            message=(
                f"{c.status.value}: {c.reason}"
                if c.reason and c.status is not Status.PASS
                else c.status.value
            ),
            details=f"threshold: {c.threshold}; measured: {c.measured or '-'}"
            + (f"; {c.reason}" if c.reason else ""),
        )
        for c in report.criteria
    ]


def write_junit_report(report: QualificationReport, path: Path) -> Path:
    return write_junit(path, junit_cases(report), suite=f"bench qualify ({report.identity.profile_name})")


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _table(rows: Sequence[tuple[str, object]]) -> str:
    return "".join(f"<tr><th>{_e(k)}</th><td>{_e('-' if v is None else v)}</td></tr>" for k, v in rows)


def render_html(report: QualificationReport) -> str:
    identity, facts = report.identity, report.facts
    device = facts.device
    machine = [
        ("host", identity.hostname),
        ("OS", identity.os),
        ("CPU", identity.cpu_model),
        ("RAM", f"{identity.ram_total_gib:.1f} GiB"),
        ("GPU", identity.gpu_name or facts.no_gpu),
        ("GPU UUID", identity.gpu_uuid),
        ("SKU class", identity.gpu_sku or ("unknown to bench" if device else None)),
        ("architecture", identity.gpu_architecture),
        ("driver", identity.driver_version),
        ("PCIe maximum", f"gen {device.pcie_max_generation} x{device.pcie_max_width}" if device else None),
        (
            "power limit / default",
            f"{device.power_limit_w} W / {facts.power_default_w.text('{:.0f}')}" if device else None,
        ),
        (
            "ECC",
            {True: "enabled", False: "disabled", None: "not reported"}[facts.ecc_enabled] if device else None,
        ),
        (
            "persistence mode",
            {True: "enabled", False: "disabled", None: "not reported"}[device.persistence_mode]
            if device
            else None,
        ),
        (
            "idle clocks",
            f"SM {facts.idle_sm_clock_mhz.text('{:.0f}')}, "
            f"memory {facts.idle_memory_clock_mhz.text('{:.0f}')}"
            if device
            else None,
        ),
        ("provider", identity.provider),
        (
            "onnxruntime-genai",
            f"{identity.onnxruntime_genai} ({identity.onnxruntime_genai_build})"
            if identity.onnxruntime_genai
            else "not installed",
        ),
        ("bench", identity.bench),
        ("profile", f"{identity.profile_name} ({identity.profile_source})"),
        ("profile sha256", identity.profile_sha256),
        ("started / finished", f"{report.started_at:%Y-%m-%d %H:%M:%S} / {report.finished_at or '-'} UTC"),
    ]
    criteria_rows = "".join(
        f'<tr class="status-{_e(c.status.name.lower())}"><td>{_e(c.stage)}</td><td>{_e(c.name)}</td>'
        f"<td>{_e(c.subject)}</td><td>{_e(c.threshold)}</td><td>{_e(c.measured or '-')}</td>"
        f'<td class="status">{_e(c.status.value.upper())}</td><td>{_e(c.reason)}</td></tr>'
        for c in report.criteria
    )
    stages = "".join(
        f"<li>{_e(s.stage)}: {_e(s.state)}"
        + (f", {_e(s.outcome.label)}" if s.outcome else "")
        + "".join(f"<br><code>{_e(f)}</code>" for f in s.result_files)
        + "".join(f"<br><small>{_e(n)}</small>" for n in s.notes)
        + "</li>"
        for s in report.stages
    )
    counts = {status: sum(1 for c in report.criteria if c.status is status) for status in Status}
    summary = ", ".join(f"{n} {status.value}" for status, n in counts.items())
    soak = report.soak.model_dump(mode="json") if report.soak else None
    notes = "".join(f"<li>{_e(n)}</li>" for n in report.notes)
    parts = dict(
        title=_e(f"bench qualify: {identity.hostname} {report.verdict.label}"),
        colour=_COLOURS[report.verdict],
        verdict=_e(report.verdict.label),
        status=_e(report.status),
        summary=_e(summary),
        machine=_table(machine),
        criteria=criteria_rows,
        stages=stages,
        notes=f"<ul>{notes}</ul>" if notes else "",
        data=payload_json({"soak": soak}),
        plotly=plotly_js(),
    )
    # One pass over the small template: the inserted parts are never scanned for placeholders.
    return _PLACEHOLDER.sub(lambda match: parts[match.group(1)], _template())


@cache
def _template() -> str:
    return resources.files("bench.qualify").joinpath("page.html").read_text(encoding="utf-8")
