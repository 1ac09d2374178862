"""What every claim shares: the :class:`Claim` record, the seed quotes, and the decision rules.

Verdicts are decided by 95% intervals (see :mod:`yatbench.report.stats`), never by wording:
**supported** when the interval lies on the claimed side of the threshold, **contradicted**
when it lies on the other side, **not enough data** when runs are missing, fewer than
``MIN_SEEDS`` seeds per arm, or the interval straddles the threshold. A threshold is always
stated with its reason and with the verdicts at neighbouring thresholds.

A claim is decided per configuration: when a folder holds several configurations that fit a
claim's arms, each gets its own row (``Claim.setting`` names it); runs of different
configurations are never pooled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from yatbench.report.stats import fmt_interval, summarize, welch_diff
from yatbench.report.tables import seed_range

SUPPORTED, CONTRADICTED, NOT_ENOUGH = "supported", "contradicted", "not enough data"
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
    kind: str = ""  # seed | tuned | variant | analytic; "" = a row about the seed's words ("seed")

    @property
    def counts_in_tally(self) -> bool:
        """Whether the row counts in the tally of the seeds' claims (tuned and nmn-variant rows do not)."""
        return self.kind not in ("tuned", "variant")

    def about(self, frames: list[pd.DataFrame], label: str = "") -> Claim:
        """Record which configurations this row decides (their seedless keys and a label)."""
        present = [f for f in frames if not f.empty]
        self.config = " vs ".join(str(f["variant"].iloc[0]) for f in present)
        self.setting = label or " vs ".join(_label(f) for f in present if _label(f))
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
    diff, lo, hi = welch_diff(b, a) if lower_is_better else welch_diff(a, b)
    gain = "lower" if lower_is_better else "higher"
    claim.headline = f"{names[0]}'s {unit} {gain} by {diff:+.{digits}f}, 95% CI {fmt_interval(lo, hi, digits)}"
    claim.evidence = (f"{names[0]} {sa.fmt(digits)} vs {names[1]} {sb.fmt(digits)} {unit} (mean ± std, n = {sa.n}, "
                      f"{sb.n}); advantage of {names[0]} = {diff:+.{digits}f}, "
                      f"Welch 95% CI {fmt_interval(lo, hi, digits)}")
    claim.verdict = SUPPORTED if lo > 0 else CONTRADICTED if hi < 0 else NOT_ENOUGH


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
