"""How a check turns per-replicate values into a value with an interval, and passes or fails.

Intervals (`summarise`):

* ``mean``: the mean over replicates and its 95% interval, mean +- t(0.975, n-1) s / sqrt(n)
  (Student t; none with one replicate);
* ``share``: values are yes/no per replicate; the share of yes and its 95% Wilson interval;
* ``max``: the largest value over replicates, with the smallest and largest as the range
  (conservation checks: every replicate must balance);
* ``exact``: a deterministic value (no randomness), its own interval.

Acceptance rules judge the value, or the interval where the rule asks for a clear direction:

* `InRange`: the value lies in [lower, upper] (a published range, or a published point with a
  stated tolerance);
* `Above` / `Below`: the whole interval lies above / below a threshold (a direction that
  replicate noise cannot explain); with no interval, the value;
* `AtMost`: the value is at most a limit (conservation: no imbalance beyond rounding).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import stats

INTERVALS = {
    "mean": "mean over replicates, 95% t interval",
    "share": "share of replicates, 95% Wilson interval",
    "max": "largest over replicates; range over replicates",
    "exact": "exact (no randomness)",
}
"""What the interval of each kind of summary is, in words (the table's ``interval`` column)."""


@dataclass(frozen=True)
class Summary:
    """A check's value with its interval over replicates."""

    value: float
    low: float
    high: float
    replicates: int
    kind: str

    @property
    def interval(self) -> str:
        return INTERVALS[self.kind]


def mean_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and its Student-t interval: mean +- t((1 + level) / 2, n - 1) s / sqrt(n)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(values.mean())
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf((1 + level) / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values)))
    return mean, mean - half, mean + half


def wilson_interval(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (Wilson 1927)."""
    if trials == 0:
        return float("nan"), float("nan")
    z = float(stats.norm.ppf((1 + level) / 2))
    share = successes / trials
    centre = (share + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


def summarise(values: np.ndarray | list[float], kind: str = "mean") -> Summary:
    """The value and interval of a check from its per-replicate values (see the module doc)."""
    array = np.asarray(values, dtype=float)
    known = array[~np.isnan(array)]
    if kind == "mean":
        return Summary(*mean_interval(known), replicates=len(known), kind=kind)
    if kind == "share":
        successes = int(known.sum())
        return Summary(successes / len(known) if len(known) else float("nan"),
                       *wilson_interval(successes, len(known)), replicates=len(known), kind=kind)
    if kind == "max":
        if len(known) == 0:
            return Summary(float("nan"), float("nan"), float("nan"), 0, kind)
        return Summary(float(known.max()), float(known.min()), float(known.max()), len(known), kind)
    if kind == "exact":
        value = float(known[0]) if len(known) else float("nan")
        return Summary(value, value, value, replicates=len(known), kind=kind)
    raise ValueError(f"unknown summary kind {kind!r}; use one of {', '.join(INTERVALS)}")


class Rule(Protocol):
    """An acceptance rule: passes or fails a value and its interval; says how in words."""

    def passes(self, summary: Summary) -> bool: ...

    def describe(self, fmt: str) -> str: ...


def _show(value: float, fmt: str) -> str:
    """A threshold in the check's format (0 as plain "0")."""
    return "0" if value == 0 else format(value, fmt)


@dataclass(frozen=True)
class InRange:
    """The value lies in [lower, upper]."""

    lower: float
    upper: float

    def passes(self, summary: Summary) -> bool:
        return bool(self.lower <= summary.value <= self.upper)

    def describe(self, fmt: str) -> str:
        return f"value within {_show(self.lower, fmt)} to {_show(self.upper, fmt)}"


@dataclass(frozen=True)
class Above:
    """The whole interval lies above ``threshold`` (the value, with no interval)."""

    threshold: float

    def passes(self, summary: Summary) -> bool:
        bound = summary.value if math.isnan(summary.low) else summary.low
        return bool(summary.value > self.threshold and bound > self.threshold)

    def describe(self, fmt: str) -> str:
        return f"interval above {_show(self.threshold, fmt)}"


@dataclass(frozen=True)
class Below:
    """The whole interval lies below ``threshold`` (the value, with no interval)."""

    threshold: float

    def passes(self, summary: Summary) -> bool:
        bound = summary.value if math.isnan(summary.high) else summary.high
        return bool(summary.value < self.threshold and bound < self.threshold)

    def describe(self, fmt: str) -> str:
        return f"interval below {_show(self.threshold, fmt)}"


@dataclass(frozen=True)
class AtMost:
    """The value is at most ``limit``."""

    limit: float

    def passes(self, summary: Summary) -> bool:
        return bool(summary.value <= self.limit)

    def describe(self, fmt: str) -> str:
        return f"value at most {_show(self.limit, fmt)}"


@dataclass(frozen=True)
class AtLeast:
    """The value is at least ``limit``."""

    limit: float

    def passes(self, summary: Summary) -> bool:
        return bool(summary.value >= self.limit)

    def describe(self, fmt: str) -> str:
        return f"value at least {_show(self.limit, fmt)}"
