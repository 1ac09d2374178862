"""What every claim shares: the :class:`Claim` record, the seed quotes, and the decision rules.

Verdicts are decided by 95% intervals (see :mod:`yatbench.report.stats`), never by wording:
**supported** when the interval lies on the claimed side of the threshold, **contradicted**
when it lies on the other side, **not enough data** when runs are missing, fewer than
``MIN_SEEDS`` seeds per arm, or the interval straddles the threshold. A threshold is always
stated with its reason and with the verdicts at neighbouring thresholds.

A claim is decided per configuration: when a folder holds several configurations that fit a
claim's arms, each gets its own row (``Claim.setting`` names it); runs of different
configurations are never pooled.

Besides its verdict a row carries what the report adds to every claim alike
(:func:`yatbench.report.claims.all_claims`): ``convergence`` (did every run it used stop by the
early-stopping rule), ``budget_robust`` (the same verdict at half the budget each run used),
``kind`` and ``counts_in_tally`` (tuned and nmn-variant rows are shown but not counted), and
``earned_by`` (which part of ⵟ earns it, set by the family). ``about``/``uses`` record the runs a row
used (``run_ids``), which is what those are computed from. Two more verdicts exist: **unconverged**
(the arms were cut off by their maximum budget while still improving, so the verdict is not read) and
**premise not met** (a family's measured premise does not hold; the measurement is in the evidence).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from yatbench.core.narrow import seed_range
from yatbench.report.outcomes import OutcomeReader
from yatbench.report.stats import clean, fmt_interval, paired_bootstrap_diff, summarize, welch_diff

SUPPORTED, CONTRADICTED, NOT_ENOUGH = "supported", "contradicted", "not enough data"
UNCONVERGED = "unconverged"
# A claim stated under a condition ("when two prototypes develop disjoint support regions, …") whose
# condition the runs do not meet: the measurement of the premise is the evidence, the claim is not decided.
PREMISE_NOT_MET = "premise not met"
DECIDED = (SUPPORTED, CONTRADICTED)
# How compare_means' interval is named in a decision rule: which of the two it is depends on the runs.
DIFFERENCE_CI = ("95% interval (a paired bootstrap over seeds and test examples where the runs recorded per-example "
                 "test outcomes, else Welch's over seeds)")
KINDS = ("seed", "tuned", "variant", "analytic")  # tuned and variant rows are shown, not counted in the tally
MIN_SEEDS = 3
SEED_FILES = {
    "000": "seeds/000_2e2688d488b2edba.txt",
    "001": "seeds/001_c53585d022a0faa0.txt",
    "002": "seeds/002_6db08b8fde399661.txt",
    "003": "seeds/003_2b1b29557db15d0e.txt",
    "004": "seeds/004_21ad28d0b4a0d97c.txt",
}
OWN = "yatbench's own test (not stated in seeds/)"
SWEEP = {"xor": "yatbench sweep xor", "default": "yatbench sweep default",
         "budget": "yatbench sweep param_budget", "paper": "yatbench sweep paper"}


@dataclass(frozen=True)
class Quote:
    """Words of a seed file, verbatim (LaTeX as written)."""

    seed: str
    words: str

    def __str__(self) -> str:
        return f"{SEED_FILES[self.seed]}: “{self.words}”"


@dataclass
class Claim:
    """One testable claim, about one configuration (or one pair of configurations), and its verdict."""

    key: str
    statement: str
    source: str
    measurement: str
    rule: str
    quotes: tuple[Quote, ...] = ()
    verdict: str = NOT_ENOUGH
    evidence: str = ""
    runs: str = ""
    command: str = ""
    notes: list[str] = field(default_factory=list)
    short: str = ""
    headline: str = ""  # the deciding number in a few words, for the verdict overview
    seeds: int = 0  # seeds per side behind the interval, once there were enough to compute it
    setting: str = ""  # which configuration(s) this row is about, when a folder holds several
    config: str = ""  # their seedless keys, joined by " vs "
    thresholds: str = ""  # the verdict at neighbouring thresholds
    kind: str = "seed"  # seed | tuned | variant (nmn's bias inside ⵟ, not the seed's formula) | analytic (no runs)
    counts_in_tally: bool = True  # False for tuned and variant rows: shown, but not a verdict on the seeds' claims
    earned_by: str = ""  # which part of ⵟ earns the result ("the square (w·x+b)²", "ⵟ as a whole", …)
    run_ids: list[str] = field(default_factory=list)  # the runs this row used (about / uses, or set by the family)
    arms: list[list[str]] = field(default_factory=list)  # the runs of each configuration compared (about / uses)
    convergence: str = "n/a"  # converged | unconverged | not recorded | n/a — set by all_claims
    budget_robust: str = "n/a"  # yes | no | n/a — set by all_claims
    budget_note: str = ""  # the verdict at half the budget, or why it is n/a

    def __post_init__(self) -> None:
        if self.kind in ("tuned", "variant"):  # whoever makes the row, it is shown but never tallied
            self.counts_in_tally = False

    def about(self, frames: list[pd.DataFrame], label: str = "") -> Claim:
        """Record which configurations this row decides (their seedless keys and a label) and their runs."""
        present = [f for f in frames if not f.empty]
        self.config = " vs ".join(str(f["variant"].iloc[0]) for f in present)
        self.setting = label or " vs ".join(_label(f) for f in present if _label(f))
        return self.uses(present)

    def uses(self, frames: list[pd.DataFrame]) -> Claim:
        """Record the runs of ``frames`` (one configuration each) as runs this row's verdict rests on."""
        for frame in frames:
            if frame.empty or "run_id" not in frame.columns:
                continue
            ids = [str(r) for r in frame["run_id"]]
            self.arms.append(ids)
            self.run_ids += [r for r in ids if r not in self.run_ids]
        return self


def or_missing(claims: list[Claim], make: Callable[[], Claim], needs: str) -> list[Claim]:
    """The claims a family decided, or one undecided claim from ``make()`` saying which runs it ``needs``."""
    if claims:
        return claims
    claim = make()
    claim.evidence = needs
    return [claim]


def _label(frame: pd.DataFrame) -> str:
    label = str(frame["variant_label"].iloc[0]) if "variant_label" in frame.columns else ""
    return f"{frame['model'].iloc[0]}{' ' + label if label else ''}"


def runs_text(frame: pd.DataFrame, name: str) -> str:
    if frame.empty:
        return f"{name}: none"
    params = sorted(set(int(p) for p in frame["params"].dropna()))
    return (f"{name}: {len(frame)} runs of {frame['variant'].iloc[0]}, seeds {seed_range(frame['seed'].tolist())}, "
            f"{'/'.join(map(str, params))} params")


def ok(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["status"] == "ok"] if not frame.empty else frame


def compare_means(claim: Claim, a: list[float], b: list[float], names: tuple[str, str], unit: str,
                  lower_is_better: bool = False, digits: int = 3) -> None:
    """Claim 'a beats b': Welch 95% CI of the advantage; supported above 0, contradicted below 0."""
    sa, sb = summarize(a), summarize(b)
    if sa.n < MIN_SEEDS or sb.n < MIN_SEEDS:
        claim.verdict = NOT_ENOUGH
        claim.evidence = (f"{names[0]}: {sa.fmt(digits)} (n = {sa.n}); {names[1]}: {sb.fmt(digits)} (n = {sb.n}); "
                          f"needs ≥ {MIN_SEEDS} seeds each")
        return
    claim.seeds = min(sa.n, sb.n)
    outcomes = shared_test_outcomes(claim, a, b)
    if isinstance(outcomes, tuple):
        first, second = (outcomes[1], outcomes[0]) if lower_is_better else (outcomes[0], outcomes[1])
        diff, lo, hi = paired_bootstrap_diff(first, second, paired_seeds=outcomes[2])
        n_test = len(outcomes[0][0])
        method = (f"paired bootstrap 95% CI over seeds and test examples ({n_test} per run, the same examples "
                  f"drawn for both arms; {'seeds paired' if outcomes[2] else 'seeds drawn per arm'})")
    else:
        diff, lo, hi = welch_diff(b, a) if lower_is_better else welch_diff(a, b)
        method = "Welch 95% CI over seeds"
        if outcomes:
            method += f" ({outcomes}: the test set's sampling error is not in this interval)"
    gain = "lower" if lower_is_better else "higher"
    claim.headline = f"{names[0]}'s {unit} {gain} by {diff:+.{digits}f}, 95% CI {fmt_interval(lo, hi, digits)}"
    claim.evidence = (f"{names[0]} {sa.fmt(digits)} vs {names[1]} {sb.fmt(digits)} {unit} (mean ± std, n = {sa.n}, "
                      f"{sb.n}); advantage of {names[0]} = {diff:+.{digits}f}, "
                      f"{method} {fmt_interval(lo, hi, digits)}")
    claim.verdict = SUPPORTED if lo > 0 else CONTRADICTED if hi < 0 else NOT_ENOUGH


# The per-example outcome reader of the claims being decided now (set by all_claims for each pass), so that
# compare_means can widen an interval by the test set's sampling error without every family passing it on.
OUTCOMES: ContextVar[OutcomeReader | None] = ContextVar("yatbench_outcomes", default=None)


@contextmanager
def reading_outcomes(reader: OutcomeReader | None) -> Iterator[None]:
    """Decide the claims inside the ``with`` block with ``reader``'s per-example test outcomes."""
    token = OUTCOMES.set(reader)
    try:
        yield
    finally:
        OUTCOMES.reset(token)


def _same_values(values: list[float], recorded: list[float]) -> bool:
    return len(values) == len(recorded) and all(
        np.isclose(x, y, rtol=1e-9, atol=0.0) for x, y in zip(sorted(values), sorted(recorded), strict=True))


def shared_test_outcomes(claim: Claim, a: list[float], b: list[float]) \
        -> tuple[list[np.ndarray], list[np.ndarray], bool] | str:
    """The per-seed test outcomes behind ``a`` and ``b``, when they are the test metric (accuracy or MSE) of
    two configurations this claim recorded (``about``), in seed order, and whether the seeds pair; else a
    reason the interval cannot include the test set's sampling error ("" when a and b are not test-set
    means at all, e.g. a |correlation|, so the question does not arise)."""
    reader = OUTCOMES.get()
    if reader is None or len(claim.arms) < 2:
        return ""
    arms = []
    for values in (clean(a), clean(b)):
        for ids in claim.arms:
            ok_ids = [r for r in ids if r in reader.table.records and reader.table.records[r].status == "ok"]
            recorded = [reader.test_metric(r) for r in ok_ids]
            if ok_ids and all(r not in [x for arm in arms for x in arm] for r in ok_ids) \
                    and _same_values(values, recorded):
                arms.append(sorted(ok_ids, key=lambda r: reader.table.records[r].seed))
                break
        else:
            return ""  # not the runs' test metric: the bootstrap over test examples does not apply
    vectors = [[reader.vector(r) for r in ids] for ids in arms]
    missing = sum(v is None for arm in vectors for v in arm)
    if missing:
        total = sum(len(arm) for arm in vectors)
        return f"per-example test outcomes not recorded for {missing} of {total} runs (runs made before them)"
    for ids, arm in zip(arms, vectors, strict=True):
        for run_id, vector in zip(ids, arm, strict=True):
            if not reader.matches(run_id, vector):
                return f"the test outcomes of {run_id} do not reproduce its test metric"
    if len({v.size for arm in vectors for v in arm}) != 1:
        return "the runs' test sets differ in size, so they are not one shared test set"
    seeds = [[reader.table.records[r].seed for r in ids] for ids in arms]
    return vectors[0], vectors[1], seeds[0] == seeds[1]


def side_of(lo: float, hi: float, threshold: float, above: bool) -> str:
    """The verdict of an interval [lo, hi] against 'above (or below) threshold'."""
    if above:
        return SUPPORTED if lo >= threshold else CONTRADICTED if hi < threshold else NOT_ENOUGH
    return SUPPORTED if hi < threshold else CONTRADICTED if lo >= threshold else NOT_ENOUGH


def at_thresholds(lo: float, hi: float, thresholds: tuple[float, ...], above: bool) -> str:
    """``0.05: contradicted · 0.1: contradicted · 0.2: supported`` — how much rests on the threshold."""
    return " · ".join(f"{t:g}: {side_of(lo, hi, t, above)}" for t in thresholds)


def threshold(claim: Claim, values: list[float], limit: float, neighbours: tuple[float, ...], above: bool,
              name: str, bounded: bool | tuple[float, float] = False, digits: int = 3) -> None:
    """Claim 'mean is above (or below) limit', decided by the 95% CI of the mean (bounded: see ``summarize``)."""
    s = summarize(values, bounded=bounded)
    if s.n:
        claim.headline = f"{name} {s.mean:.{digits}f}, 95% CI {s.fmt_ci(digits)} vs {limit:g}"
    claim.evidence = (f"{name} = {s.fmt(digits)} (mean ± std, n = {s.n}), 95% CI {s.fmt_ci(digits)} "
                      f"({s.method}); threshold {limit:g}")
    if s.n < MIN_SEEDS:
        claim.verdict = NOT_ENOUGH
        claim.evidence += f"; needs ≥ {MIN_SEEDS} seeds"
        return
    claim.seeds = s.n
    claim.verdict = side_of(s.lo, s.hi, limit, above)
    claim.thresholds = at_thresholds(s.lo, s.hi, tuple(sorted({limit, *neighbours})), above)


KERNELS = {"square": "the square alone, α(w·x + b)²", "distance": "the inverse distance alone, α/(‖w − x‖² + ε)"}


def yat_kernel(frame_columns: pd.Index) -> dict[str, str]:
    """The filter that keeps the real ⵟ (``model.kernel=yat``) where runs record a kernel."""
    return {"model.kernel": "yat"} if "model.kernel" in frame_columns else {}


def ablation_text(controls: dict[str, pd.DataFrame], describe) -> str:
    """``square alone: …; distance alone: …`` for the ablation configurations that were run."""
    parts = [f"{KERNELS[name]}: {describe(controls[name])}" for name in KERNELS if name in controls]
    return "; ".join(parts)
