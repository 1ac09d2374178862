"""The statistics the report uses, each one stated on the page (see ``METHODS``).

- mean ± sample standard deviation (ddof = 1) over seeds, with n;
- 95% confidence interval of a mean: Student t, mean ± t₀.₉₇₅,ₙ₋₁ · s/√n;
- 95% interval of a mean of quantities bounded to [0, 1] (accuracies, |cos|, |corr|): the same
  Student-t interval, truncated to [0, 1]. The true mean lies in [0, 1], so truncation never
  lowers coverage, and the interval stays centred on the arithmetic mean (a logit-scale
  interval would describe the mean of the logits instead, and collapses onto one side whenever
  a seed reaches exactly 0 or 1);
- 95% interval of a success rate k/n: Wilson score interval;
- 95% interval of a difference of two success rates: Newcombe's hybrid score interval
  (method 10 of Newcombe 1998, built from the two Wilson intervals);
- 95% interval of a difference of two means: Welch's t interval (unequal variances,
  Welch–Satterthwaite degrees of freedom);
- 95% interval of a difference of two test-set means (accuracy, MSE) when each run's per-example
  outcomes on the shared test set are recorded: a paired bootstrap over seeds *and* test examples
  (:func:`paired_bootstrap_diff`), so that the test set's own sampling error is in the interval.

Everything here is plain arithmetic on numbers the runs recorded; scipy (a declared dependency)
supplies only the t and normal quantiles.

Every interval contains its point and lies within the quantity's range, for any input: a rate's
bounds lie in [0, 1] (exactly 0 at 0/n and 1 at n/n, where rounding would otherwise leave 5e-17 or
1 − 1e-16), a difference of rates in [−1, 1]; an interval that cannot be computed (no values, one
value, a side without two values) is NaN, never a wrong number. Values too large or too small to square in
floating point (beyond 2^±100) are summarised in units of a power of two, which is exact, so a
huge but finite metric gives a finite mean rather than an ``OverflowError``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

LEVEL = 0.95
Z = float(_st.norm.ppf(0.5 + LEVEL / 2))  # 1.959963984540054

METHODS = (
    "Spread is the sample standard deviation over seeds (ddof = 1). "
    "A 95% interval of a mean uses Student's t (mean ± t·s/√n, n − 1 degrees of freedom); for quantities "
    "bounded to [0, 1] (accuracy, |cos|, |corr|) the t interval is truncated to [0, 1] (the true mean lies "
    "there, so coverage is unchanged); "
    "a success rate k/n uses the Wilson score interval; the difference of two success rates uses "
    "Newcombe's hybrid score interval; the difference of two means uses Welch's t interval "
    "(unequal variances). Where two arms are compared on a test-set mean (accuracy or MSE) and every run "
    "recorded its per-example test outcomes, the interval of the difference is a paired bootstrap over seeds "
    "and test examples instead (percentile interval of 2 000 resamples, fixed random seed; each resample draws "
    "seeds — the same seeds for both arms when both ran the same seeds — and one set of test examples shared "
    "by both arms), so it includes the test set's sampling error; otherwise it is Welch's over seeds alone, "
    "and the claim says so. No interval is given from fewer than 2 seeds, and no verdict from fewer than 3."
)


@dataclass(frozen=True)
class Summary:
    """n, mean, sample std and the t interval of the mean of a set of values (NaN where undefined)."""

    n: int
    mean: float
    std: float
    lo: float
    hi: float
    method: str = "Student t"

    def fmt(self, digits: int = 3) -> str:
        """``mean ± std`` (or the single value, or an em dash when empty)."""
        if self.n == 0:
            return "—"
        if self.n == 1 or math.isnan(self.std):
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} ± {self.std:.{digits}f}"

    def fmt_ci(self, digits: int = 3) -> str:
        """``[lo, hi]`` of the 95% interval, or an em dash."""
        if self.n < 2 or math.isnan(self.lo):
            return "—"
        return f"[{self.lo:.{digits}f}, {self.hi:.{digits}f}]"


def clean(values: Iterable[float | None]) -> list[float]:
    """The finite numbers among ``values`` (None, NaN, ±inf, text and integers beyond float range dropped)."""
    out = []
    for value in values:
        if value is None:
            continue
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: an int such as 10**400
            continue
        if math.isfinite(number):
            out.append(number)
    return out


# The ranges a bounded quantity can take: a rate or an accuracy lies in [0, 1]; a ratio of two
# accuracies (retention) is ≥ 0 but may exceed 1.
UNIT = (0.0, 1.0)
NONNEGATIVE = (0.0, math.inf)
# Outside these magnitudes a variance's square (Welch's degrees of freedom) can overflow or vanish in a
# float: such samples are summarised in units of a power of two near their largest value (see _scale).
SAFE = (2.0**-100, 2.0**100)


def _scale(xs: list[float]) -> float:
    """1, or the power of two just below the largest |x| when ``xs`` lie outside ``SAFE``.

    Dividing by a power of two is exact, and every step of a t interval (sums, sqrt, products) is
    correctly rounded, so scaling changes no bit of a result that could be computed unscaled.
    """
    big = max((abs(x) for x in xs), default=0.0)
    if big == 0.0 or SAFE[0] <= big <= SAFE[1]:
        return 1.0
    return math.ldexp(1.0, math.frexp(big)[1] - 1)


def summarize(values: Iterable[float | None], level: float = LEVEL,
              bounded: bool | tuple[float, float] = False) -> Summary:
    """Mean, sample std and Student-t interval of the finite values.

    ``bounded``: the interval is truncated to the quantity's range — True for [0, 1] (``UNIT``), or a
    (low, high) pair such as ``NONNEGATIVE``.
    """
    xs = clean(values)
    if bounded:
        return _bounded_summary(xs, level, UNIT if bounded is True else bounded)
    n = len(xs)
    if n == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan)
    unit = _scale(xs)
    ys = [x / unit for x in xs] if unit != 1.0 else xs
    mean = math.fsum(ys) / n
    if n == 1:
        return Summary(1, mean * unit, math.nan, math.nan, math.nan)
    std = math.sqrt(math.fsum((y - mean) ** 2 for y in ys) / (n - 1))
    half = float(_st.t.ppf(0.5 + level / 2, n - 1)) * std / math.sqrt(n)
    return Summary(n, mean * unit, std * unit, (mean - half) * unit, (mean + half) * unit)


def _bounded_summary(xs: list[float], level: float, bounds: tuple[float, float]) -> Summary:
    """Mean and std of values in ``bounds``; the Student-t interval of the mean, truncated to them."""
    low, high = bounds
    if any(x < low or x > high for x in xs):
        raise ValueError(f"a bounded summary needs values in [{low:g}, {high:g}]")
    plain = summarize(xs, level)
    lo, hi = (v if math.isnan(v) else min(max(v, low), high) for v in (plain.lo, plain.hi))
    upper = "∞)" if math.isinf(high) else f"{high:g}]"
    return Summary(plain.n, plain.mean, plain.std, lo, hi, f"t, truncated to [{low:g}, {upper}")


def wilson(successes: int, n: int, z: float = Z) -> tuple[float, float]:
    """Wilson score interval of a proportion successes/n; (nan, nan) when n = 0.

    The bounds lie in [0, 1] and contain successes/n. In exact arithmetic the interval reaches 0 at
    0/n and 1 at n/n; in floating point centre ± half lands a few ulps off (0/3 gives 5.6e-17, 10/10
    gives 1 − 1.1e-16), an interval that excludes its own point and a negative error bar, so those
    ends are set exactly and every bound is clipped to the point's side.
    """
    if n <= 0:
        return (math.nan, math.nan)
    if not 0 <= successes <= n:
        raise ValueError(f"a success count needs 0 ≤ k ≤ n, got k = {successes}, n = {n}")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else min(max(0.0, centre - half), p)
    hi = 1.0 if successes == n else max(min(1.0, centre + half), p)
    return (lo, hi)


def newcombe_diff(k1: int, n1: int, k2: int, n2: int, z: float = Z) -> tuple[float, float, float]:
    """p1 − p2 and its Newcombe hybrid score interval (from the two Wilson intervals)."""
    if n1 <= 0 or n2 <= 0:
        return (math.nan, math.nan, math.nan)
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    diff = p1 - p2
    lo = diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (diff, max(-1.0, lo), min(1.0, hi))  # a difference of two rates lies in [−1, 1]


def welch_diff(a: Iterable[float | None], b: Iterable[float | None],
               level: float = LEVEL) -> tuple[float, float, float]:
    """mean(a) − mean(b) and Welch's t interval; NaN bounds when either side has < 2 values.

    Two samples with zero variance give a zero-width interval at the difference. Samples too large to
    square are compared in units of a common power of two (exact), as in :func:`summarize`.
    """
    xa, xb = clean(a), clean(b)
    if not xa or not xb:
        return (math.nan, math.nan, math.nan)
    unit = _scale(xa + xb)
    sa, sb = summarize([x / unit for x in xa]), summarize([x / unit for x in xb])
    diff = sa.mean - sb.mean
    if sa.n < 2 or sb.n < 2:
        return (diff * unit, math.nan, math.nan)
    va, vb = sa.std**2 / sa.n, sb.std**2 / sb.n
    se = math.sqrt(va + vb)
    if se == 0:
        return (diff * unit, diff * unit, diff * unit)
    df = (va + vb) ** 2 / (va**2 / (sa.n - 1) + vb**2 / (sb.n - 1))
    half = float(_st.t.ppf(0.5 + level / 2, df)) * se
    return (diff * unit, (diff - half) * unit, (diff + half) * unit)


def fmt_interval(lo: float, hi: float, digits: int = 3) -> str:
    """``[lo, hi]`` or an em dash when undefined."""
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return "—"
    return f"[{lo:.{digits}f}, {hi:.{digits}f}]"


BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20_21  # fixed: the same runs always give the same interval
_CHUNK_CELLS = 2_000_000  # resamples × test examples drawn at once (16 MB of int64 indices)


def paired_bootstrap_diff(a: list[np.ndarray], b: list[np.ndarray], paired_seeds: bool,
                          resamples: int = BOOTSTRAP_RESAMPLES, level: float = LEVEL,
                          seed: int = BOOTSTRAP_SEED) -> tuple[float, float, float]:
    """mean(a) − mean(b) of per-example test outcomes and its percentile bootstrap interval.

    ``a`` and ``b`` hold one vector per seed of per-example outcomes (1/0 for right/wrong, or squared
    errors) on one shared test set: every vector has the same length and example i is the same example in
    all of them. A run's metric is the mean of its vector; an arm's is the mean over its seeds. Each
    resample draws test examples with replacement — one draw shared by both arms, which is what pairs
    them — and seeds with replacement: the same seed draw for both arms when ``paired_seeds`` (seed s of
    one arm was trained on the same data as seed s of the other, so a and b list the same seeds in the
    same order), else a draw per arm. The interval is the (1 − level)/2 and (1 + level)/2 quantiles of the
    resampled differences; the random generator is seeded, so the interval is a function of the data.
    NaN bounds when an arm has no vector or the vectors are empty.
    """
    if not a or not b:
        return (math.nan, math.nan, math.nan)
    xa, xb = np.asarray(np.stack(a), dtype=np.float64), np.asarray(np.stack(b), dtype=np.float64)
    if xa.shape[1] != xb.shape[1] or xa.shape[1] == 0:
        raise ValueError(f"outcome vectors of different lengths ({xa.shape[1]} vs {xb.shape[1]}): "
                         "not one shared test set")
    if paired_seeds and xa.shape[0] != xb.shape[0]:
        raise ValueError("paired seeds need the same number of seeds in both arms")
    diff = float(xa.mean(1).mean() - xb.mean(1).mean())
    rng = np.random.default_rng(seed)
    k_a, k_b, n = xa.shape[0], xb.shape[0], xa.shape[1]
    # Seed draws first, for every resample, so that the same seeds are drawn whatever the test set's size.
    seeds_a = rng.multinomial(k_a, np.full(k_a, 1.0 / k_a), size=resamples) / k_a
    seeds_b = seeds_a if paired_seeds else rng.multinomial(k_b, np.full(k_b, 1.0 / k_b), size=resamples) / k_b
    stats_out = np.empty(resamples)
    chunk = max(1, _CHUNK_CELLS // n)
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        drawn = rng.integers(0, n, size=(stop - start, n)) + (np.arange(stop - start) * n)[:, None]
        counts = np.bincount(drawn.ravel(), minlength=(stop - start) * n).reshape(stop - start, n) / n
        # Each seed's resampled mean, (chunk, seeds). einsum, not @: a BLAS call spawns a thread per core,
        # which on a shared machine is slower than this single loop.
        per_seed_a, per_seed_b = (np.einsum("cn,sn->cs", counts, x, optimize=False) for x in (xa, xb))
        stats_out[start:stop] = (seeds_a[start:stop] * per_seed_a).sum(1) - (seeds_b[start:stop] * per_seed_b).sum(1)
    lo, hi = np.quantile(stats_out, [(1 - level) / 2, (1 + level) / 2])
    return (diff, float(lo), float(hi))
