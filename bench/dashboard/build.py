"""The dashboard payload -> one self-contained HTML page (plotly.js, styles, script and data inlined).

plotly.js is embedded once; the charts are drawn in the browser from the JSON payload, so the page
grows with the data (compact JSON), not with the number of charts.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache, lru_cache
from importlib import resources

import bench

# The page's script, one file per job, in load order (one module: names are shared, nothing is global).
APP_SCRIPTS = (
    "dashboard-base.js",
    "dashboard-verdict.js",
    "dashboard-sweeps.js",
    "dashboard-detail.js",
    "dashboard-main.js",
)
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# JSON inside <script> must not be able to close the element or open a comment: the payload holds
# file text (model, scenario and host names). \u escapes are still the same JSON strings.
_SCRIPT_UNSAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


@cache
def _asset(name: str) -> str:
    return resources.files("bench.dashboard").joinpath(name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    script = get_plotlyjs()
    if "</script" in script.lower() or "<!--" in script:
        raise RuntimeError("this plotly.js cannot be inlined in a <script> element")
    return script


def payload_json(payload: dict) -> str:
    """The payload as JSON that is safe inside ``<script type="application/json">``."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.translate(_SCRIPT_UNSAFE)


def render_html(payload: dict) -> str:
    """One HTML string: works offline, from a file:// URL or as a CI attachment."""
    title = html.escape(str(payload.get("title") or "bench dashboard"), quote=True)
    parts = {
        "title": title,
        "version": html.escape(bench.__version__, quote=True),
        "css": _asset("dashboard.css"),
        "data": payload_json(payload),
        "plotly": plotly_js(),
        "app": "\n".join(_asset(name) for name in APP_SCRIPTS),
    }
    # One pass over the small template: the inserted parts are never scanned for placeholders.
    return _PLACEHOLDER.sub(lambda match: parts[match.group(1)], _asset("template.html"))
