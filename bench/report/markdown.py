"""Text taken from files (scenario, model, host and GPU names) made safe for Markdown.

GitHub renders HTML inside Markdown (PR comments, ``$GITHUB_STEP_SUMMARY``), so a scenario named
``<script>alert(1)</script>`` must come out as text. Every Markdown writer in bench passes such strings
through ``md_text`` (running text) or ``md_cell`` (a table cell) and nothing else.
"""

from __future__ import annotations

import html


def md_text(text: object) -> str:
    """HTML-escaped, on one line."""
    return " ".join(html.escape(str(text), quote=False).split())


def md_cell(text: object) -> str:
    """``md_text`` that also cannot end a table cell."""
    return md_text(text).replace("|", "\\|")
