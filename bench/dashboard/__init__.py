"""The dashboard: a publish step from result files to one self-contained static HTML page."""

from __future__ import annotations

from bench.dashboard.publish import write_dashboard

__all__ = ["write_dashboard"]
