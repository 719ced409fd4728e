"""The decision rule as a value: which test, alpha, minimum effect, correction, flagged points (pure).

A change is a **regression** only when both hold:

1. it is statistically significant: a two-sided test on the repetition samples (Mann-Whitney U by
   default), with the p-values of every comparison in one verdict corrected together (Holm by default),
   so a sweep of 20 points x 5 metrics does not fail on noise;
2. it is larger than a minimum effect (5 % by default, per metric configurable) in the metric's worse
   direction: the significance test only knows the repetition-to-repetition noise of the two runs, the
   minimum effect absorbs the run-to-run drift a test on one pair of runs cannot see.

``Rule.describe()`` is the one line CLIs print; ``Rule.spec()`` round-trips through ``Rule.parse``.
The tests live in ``bench.analysis.significance``, the decisions in ``bench.analysis.decision``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bench.analysis.threshold import check_fraction, parse_percent, percent_text
from bench.errors import BenchError

TESTS: Mapping[str, str] = MappingProxyType({"mwu": "Mann-Whitney U", "welch-log": "Welch's t on log values"})
CORRECTIONS: Mapping[str, str] = MappingProxyType({"holm": "Holm", "bh": "Benjamini-Hochberg"})


@dataclass(frozen=True)
class Rule:
    """How a verdict is decided. ``describe()`` is the one line CLIs print; ``spec()`` round-trips
    through :meth:`parse`."""

    test: str = "mwu"
    alpha: float = 0.01
    min_effect: float = 0.05
    min_effect_per_metric: Mapping[str, float] = field(default_factory=dict)
    correction: str = "holm"
    include_flagged: bool = False

    def __post_init__(self) -> None:
        if self.test not in TESTS:
            raise BenchError(
                f"unknown test {self.test!r}", field="rule.test", hint=f"one of: {', '.join(TESTS)}"
            )
        if self.correction not in CORRECTIONS:
            raise BenchError(
                f"unknown correction {self.correction!r}",
                field="rule.correction",
                hint=f"one of: {', '.join(CORRECTIONS)}",
            )
        if not 0.0 < self.alpha < 1.0:
            raise BenchError(f"must be between 0 and 1, got {self.alpha}", field="rule.alpha")
        check_fraction(self.min_effect, "rule.min")
        for metric, value in self.min_effect_per_metric.items():
            check_fraction(value, f"rule.min.{metric}")
        object.__setattr__(
            self, "min_effect_per_metric", MappingProxyType(dict(sorted(self.min_effect_per_metric.items())))
        )

    def min_effect_for(self, metric: str | None) -> float:
        if metric is not None and metric in self.min_effect_per_metric:
            return self.min_effect_per_metric[metric]
        return self.min_effect

    def describe(self, n_comparisons: int | None = None) -> str:
        over = f" over {n_comparisons} comparisons" if n_comparisons is not None else ""
        overrides = ", ".join(f"{m} {percent_text(v)}" for m, v in self.min_effect_per_metric.items())
        text = (
            f"regression = {TESTS[self.test]} two-sided p ≤ {self.alpha:g} after "
            f"{CORRECTIONS[self.correction]}{over} AND median change ≥ {percent_text(self.min_effect)}"
            f"{f' ({overrides})' if overrides else ''} in the worse direction"
        )
        if self.include_flagged:
            text += "; flagged points included (invalid ones never)"
        return text

    def spec(self) -> str:
        parts = [self.test, f"alpha={self.alpha:g}", f"min={percent_text(self.min_effect, space=False)}"]
        parts += [f"min.{m}={percent_text(v, space=False)}" for m, v in self.min_effect_per_metric.items()]
        parts.append(f"correction={self.correction}")
        if self.include_flagged:
            parts.append("flagged=include")
        return ":".join(parts)

    @classmethod
    def parse(cls, spec: str) -> Rule:
        """Parse ``test[:key=value]...``, e.g. ``"mwu:alpha=0.01:min=5%:min.ttft_ms=10%:correction=bh"``.

        Keys: ``alpha``, ``min`` (a percentage: ``5%``), ``min.<metric>``, ``correction`` (holm|bh),
        ``flagged`` (include|exclude). The test may be left out (default ``mwu``).
        """
        hint = "e.g. mwu:alpha=0.01:min=5%"
        parts = [p.strip() for p in spec.strip().split(":") if p.strip()]
        kwargs: dict[str, object] = {}
        per_metric: dict[str, float] = {}
        if parts and "=" not in parts[0]:
            kwargs["test"] = parts.pop(0)
        for part in parts:
            name, sep, value = (s.strip() for s in part.partition("="))
            if not sep or not value:
                raise BenchError(f"expected key=value, got {part!r}", field="rule", hint=hint)
            if name == "alpha":
                kwargs["alpha"] = _parse_float(value, "rule.alpha")
            elif name == "min":
                kwargs["min_effect"] = parse_percent(value, "rule.min")
            elif name.startswith("min.") and len(name) > 4:
                per_metric[name[4:]] = parse_percent(value, f"rule.{name}")
            elif name == "correction":
                kwargs["correction"] = value.lower()
            elif name == "flagged":
                if value not in ("include", "exclude"):
                    raise BenchError(f"expected include or exclude, got {value!r}", field="rule.flagged")
                kwargs["include_flagged"] = value == "include"
            else:
                raise BenchError(
                    f"unknown key {name!r}",
                    field="rule",
                    hint="keys: alpha, min, min.<metric>, correction, flagged",
                )
        return cls(min_effect_per_metric=per_metric, **kwargs)  # type: ignore[arg-type]


def _parse_float(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise BenchError(f"not a number: {text!r}", field=where) from None
