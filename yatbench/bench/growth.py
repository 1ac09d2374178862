"""How fast a cost grows with its work: the exponent k of cost ≈ c · work^k, with its confidence interval.

The fit is ordinary least squares of log(cost) on log(work); the interval is the slope's Student-t
interval (n − 2 degrees of freedom), so it is wide when there are few points or when the points do not
lie on one power law (fixed costs that are still being paid off bend the line). With two points the
slope is exact and has no interval; with one, or a single work value, there is no slope at all.

The t quantile is scipy's, as for the report's intervals (:mod:`yatbench.report.stats`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

__all__ = ["Growth", "fit_growth", "t_quantile"]


@dataclass(frozen=True)
class Growth:
    """A fitted power law: cost ≈ ``scale`` · work^``exponent``; ``low``–``high`` its ``level`` interval.

    ``exponent`` is NaN with fewer than two distinct work values; ``low`` and ``high`` are NaN with fewer
    than three points (no residual left to estimate the scatter from)."""

    exponent: float
    low: float
    high: float
    scale: float
    points: int
    level: float = 0.95

    def text(self) -> str:
        """``1.52 [1.47, 1.57]``, ``1.52`` without an interval, ``—`` without a slope."""
        if math.isnan(self.exponent):
            return "—"
        if math.isnan(self.low):
            return f"{self.exponent:.2f}"
        return f"{self.exponent:.2f} [{self.low:.2f}, {self.high:.2f}]"


def t_quantile(level: float, df: int) -> float:
    """The t with P(|T| ≤ t) = ``level`` (two-sided; 0.95 → the 97.5 % quantile) for ``df`` degrees of freedom."""
    if not 0 < level < 1 or df < 1:
        raise ValueError(f"t_quantile needs 0 < level < 1 and df ≥ 1, not level={level}, df={df}")
    return float(stats.t.ppf(0.5 + level / 2, df))


def fit_growth(work: Sequence[float], cost: Sequence[float], level: float = 0.95) -> Growth:
    """Least squares of log(cost) on log(work): the exponent, its ``level`` interval and the scale.

    Points with a cost that is not a positive finite number are left out (a failed or missing measurement
    has no logarithm); work must be positive."""
    pairs = [(math.log(w), math.log(c)) for w, c in zip(work, cost, strict=True)
             if w > 0 and c is not None and math.isfinite(c) and c > 0]
    n = len(pairs)
    nan = math.nan
    if len({x for x, _ in pairs}) < 2:
        return Growth(nan, nan, nan, nan, n, level)
    mean_x = sum(x for x, _ in pairs) / n
    mean_y = sum(y for _, y in pairs) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in pairs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in pairs) / sxx
    scale = math.exp(mean_y - slope * mean_x)
    if n < 3:
        return Growth(slope, nan, nan, scale, n, level)
    residual = sum((y - mean_y - slope * (x - mean_x)) ** 2 for x, y in pairs)
    half = t_quantile(level, n - 2) * math.sqrt(residual / (n - 2) / sxx)
    return Growth(slope, slope - half, slope + half, scale, n, level)
