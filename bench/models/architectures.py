"""Moved to ``bench.architectures`` (below both ``bench.models`` and ``bench.twins``, so twins never
import models). This name stays importable for code written against it."""

from __future__ import annotations

from bench.architectures import (
    FAMILIES,
    REAL_MODELS,
    Family,
    PublishedBuild,
    RealModel,
    Shape,
    default_io_dtype,
)

__all__ = ["FAMILIES", "REAL_MODELS", "Family", "PublishedBuild", "RealModel", "Shape", "default_io_dtype"]
