"""Properties of the report's intervals over generated inputs (hypothesis): every interval contains its
point, a rate's bounds lie in [0, 1] (a difference of rates in [−1, 1]), degenerate samples (one value,
zero variance, NaN, ±inf, integers beyond float range, huge or tiny magnitudes) give NaN or a valid
interval and never an exception.

The hand-computed values of the same functions are in tests/test_report.py.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from yatbench.report.stats import NONNEGATIVE, newcombe_diff, summarize, welch_diff, wilson

FAST = settings(max_examples=200, deadline=None)  # pure arithmetic: about 0.5 s per test on 2 busy cores


@st.composite
def counts(draw: st.DrawFn, max_n: int = 2000) -> tuple[int, int]:
    n = draw(st.integers(1, max_n))
    return draw(st.integers(0, n)), n


@FAST
@given(counts())
@example((0, 3)).via("0/3 gave a lower bound of 5.6e-17 above its point")
@example((10, 10)).via("10/10 gave an upper bound of 1 - 1.1e-16 below its point")
def test_wilson_contains_its_point_within_0_1(kn: tuple[int, int]) -> None:
    k, n = kn
    lo, hi = wilson(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0
    assert (lo == 0.0) == (k == 0) and (hi == 1.0) == (k == n)  # the ends are reached exactly at 0/n and n/n


@FAST
@given(st.floats(0.01, 5.0), counts(60))
def test_wilson_holds_for_any_quantile(z: float, kn: tuple[int, int]) -> None:
    lo, hi = wilson(*kn, z=z)
    assert 0.0 <= lo <= kn[0] / kn[1] <= hi <= 1.0


def test_wilson_refuses_counts_outside_0_n_and_is_nan_for_no_trials() -> None:
    with pytest.raises(ValueError, match="0 ≤ k ≤ n"):
        wilson(4, 3)
    with pytest.raises(ValueError, match="0 ≤ k ≤ n"):
        wilson(-1, 3)
    assert all(math.isnan(v) for v in wilson(0, 0))


@FAST
@given(counts(200), counts(200))
@example((10, 10), (0, 3))
def test_newcombe_contains_the_difference_within_minus1_1(a: tuple[int, int], b: tuple[int, int]) -> None:
    diff, lo, hi = newcombe_diff(*a, *b)
    assert -1.0 <= lo <= diff <= hi <= 1.0
    assert diff == pytest.approx(a[0] / a[1] - b[0] / b[1])


# Metric values as runs may record them: ordinary, NaN, ±inf, None, huge and tiny magnitudes, and
# integers too large for a float (json reads 10**400 in a metrics.json as a Python int).
VALUE = st.one_of(st.floats(-1e6, 1e6), st.floats(allow_nan=True, allow_infinity=True), st.none(),
                  st.sampled_from([1e308, -1e308, 1.7976931348623157e308, 5e-324, 1e-300, 10**400, -(10**400)]))
UNIT_VALUE = st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 1.0, math.nan, math.inf, None, 10**400]))


def _finite_count(values: list) -> int:
    out = 0
    for v in values:
        try:
            out += v is not None and math.isfinite(float(v))
        except OverflowError:
            pass
    return out


@FAST
@given(st.lists(VALUE, max_size=14))
@example([5.0]).via("one value: no interval")
@example([2.5, 2.5, 2.5]).via("zero variance")
@example([1e308, 1e308]).via("the sum overflows")
@example([1e308, -1e308, 1e308]).via("the squares overflow")
@example([1e-300, 2e-300, 3e-300]).via("the squares vanish")
def test_t_interval_contains_its_mean_or_is_nan(values: list) -> None:
    s = summarize(values)
    assert s.n == _finite_count(values)
    if s.n == 0:
        assert math.isnan(s.mean)
        return
    assert math.isfinite(s.mean)
    if s.n == 1:
        assert math.isnan(s.lo) and math.isnan(s.hi) and math.isnan(s.std)
        return
    assert s.std >= 0 and s.lo <= s.mean <= s.hi
    s.fmt(), s.fmt_ci()  # formatting never fails either


@FAST
@given(st.lists(UNIT_VALUE, max_size=14))
@example([1.0, 1.0, 1.0])
@example([0.0, 1.0])
def test_bounded_t_interval_stays_in_0_1_and_contains_its_mean(values: list) -> None:
    s = summarize(values, bounded=True)
    if s.n >= 2:
        assert 0.0 <= s.lo <= s.mean <= s.hi <= 1.0
    ratio = summarize(values, bounded=NONNEGATIVE)
    if ratio.n >= 2:
        assert 0.0 <= ratio.lo <= ratio.mean <= ratio.hi


@FAST
@given(st.lists(VALUE, max_size=10), st.lists(VALUE, max_size=10))
@example([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
@example([1.0, 1.0], [2.0, 2.0]).via("zero variance on both sides")
@example([1e-160, 2e-160], [3e-160, 5e-160]).via("the variances' squares underflow")
@example([1e200, 2e200, 3e200], [1e200, 1e200, 4e200]).via("the variances' squares overflow")
def test_welch_contains_the_difference_or_is_nan(a: list, b: list) -> None:
    diff, lo, hi = welch_diff(a, b)
    na, nb = _finite_count(a), _finite_count(b)
    if not na or not nb:
        assert math.isnan(diff) and math.isnan(lo) and math.isnan(hi)
    elif na < 2 or nb < 2:
        assert math.isnan(lo) and math.isnan(hi) and not math.isnan(diff)
    else:
        assert lo <= diff <= hi


def test_scaling_leaves_ordinary_numbers_bit_identical() -> None:
    """The power-of-two units change nothing that could be computed directly (the same bits)."""
    values = [0.1, 0.7, 0.35, 0.9]
    scaled = summarize([v * 2.0**300 for v in values])
    plain = summarize(values)
    assert (scaled.mean, scaled.std, scaled.lo, scaled.hi) == tuple(x * 2.0**300 for x in
                                                                   (plain.mean, plain.std, plain.lo, plain.hi))
