"""How fast a cost grows with its work: the exponent k of cost ≈ c · work^k, with its confidence interval.

The fit is ordinary least squares of log(cost) on log(work); the interval is the slope's Student-t
interval (n − 2 degrees of freedom), so it is wide when there are few points or when the points do not
lie on one power law (fixed costs that are still being paid off bend the line). With two points the
slope is exact and has no interval; with one, or a single work value, there is no slope at all.

The t quantile is computed here, exactly, from the closed forms of the t distribution function for an
integer number of degrees of freedom (Abramowitz & Stegun 26.7.3–4), so that no statistics package is
needed at run time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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


def _t_two_sided(t: float, df: int) -> float:
    """P(|T| ≤ t) for Student's t with ``df`` (a positive integer) degrees of freedom, t ≥ 0."""
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    if df % 2:  # odd: (2/π)(θ + sin θ (cos θ + 2/3 cos³θ + … + (2·4…(ν−3))/(1·3…(ν−2)) cos^(ν−2) θ))
        term, total = math.cos(theta), 0.0
        for k in range(1, (df - 1) // 2 + 1):
            total += term
            term *= c2 * (2 * k) / (2 * k + 1)
        return (2 / math.pi) * (theta + math.sin(theta) * total)
    term, total = 1.0, 0.0  # even: sin θ (1 + 1/2 cos²θ + (1·3)/(2·4) cos⁴θ + … + (1·3…(ν−3))/(2·4…(ν−2)) cos^(ν−2) θ)
    for k in range(1, df // 2 + 1):
        total += term
        term *= c2 * (2 * k - 1) / (2 * k)
    return math.sin(theta) * total


def t_quantile(level: float, df: int) -> float:
    """The t with P(|T| ≤ t) = ``level`` (two-sided; 0.95 → the 97.5 % quantile), by bisection."""
    if not 0 < level < 1 or df < 1:
        raise ValueError(f"t_quantile needs 0 < level < 1 and df ≥ 1, not level={level}, df={df}")
    low, high = 0.0, 1.0
    while _t_two_sided(high, df) < level:
        high *= 2
    for _ in range(200):  # far past float precision: stops early when the bracket stops shrinking
        mid = 0.5 * (low + high)
        if mid in (low, high):
            break
        low, high = (mid, high) if _t_two_sided(mid, df) < level else (low, mid)
    return 0.5 * (low + high)


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
