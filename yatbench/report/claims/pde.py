"""Physics-informed networks (seeds/004): does a Yat PINN beat the standard tanh PINN on PDEs?

Decided per PDE problem and per model size: each Yat configuration against each tanh configuration
trained in the same setting (same problem, collocation, loss weights and optimiser budget) whose
parameter count is within 5%. The problems are found by the task their runs recorded (``pde``),
never by dataset name, and scored by the recorded headline metric (the relative L2 error of u).

Relative L2 errors span orders of magnitude (1e-4 for a converged 1-D Poisson fit, ~1 for a
failure), so means and intervals are taken on log10(error): a difference of 0.3 is a factor 2.
"""

from __future__ import annotations

import math

import pandas as pd

from yatbench.report.claims.base import (
    CONTRADICTED,
    MIN_SEEDS,
    NOT_ENOUGH,
    SUPPORTED,
    Claim,
    Quote,
    at_thresholds,
    or_missing,
    runs_text,
)
from yatbench.report.context import Context
from yatbench.report.stats import fmt_interval, summarize, welch_diff
from yatbench.report.tables import col

SEED_QUOTE = Quote("004", "this kernel i introduced works better then the neurons followed with a tanh to solve "
                          "different PDEs")
MATCHED = 0.05  # parameter counts within 5% are one budget (DESIGN §3)
NMN_EPSILON = 1e-5  # the Yat layer's default ε (nmn's): the configuration with no Yat-only tuning
# The seed says "works better" with no factor, so the threshold is 0 on log10(error): any reliable gain.
# Neighbours: Yat no more than 2× worse (−0.301), at least 2× better (+0.301), at least 10× better (+1).
THRESHOLD = 0.0
NEIGHBOURS = (-math.log10(2), math.log10(2), 1.0)
SWEEP_COMMAND = "yatbench sweep pinn"
RULE = (f"Per problem and size, d = mean log10(rel L2 of tanh) − mean log10(rel L2 of yat) over seeds, with Welch's "
        f"95% CI. Supported if the CI lies above {THRESHOLD:g} (Yat's error reliably lower: the seed says 'better' "
        f"with no factor); contradicted if it lies below {THRESHOLD:g}; otherwise not enough data. A diverged run "
        "counts as rel L2 = 1 (the error of predicting u ≡ 0), so divergence is not dropped in either arm's favour. "
        f"At least {MIN_SEEDS} seeds each. Neighbouring thresholds: −0.301 (Yat at most 2× worse), +0.301 "
        "(Yat ≥ 2× better), +1 (Yat ≥ 10× better).")


def pde_datasets(ctx: Context) -> list[str]:
    """Datasets whose runs recorded the ``pde`` task."""
    runs = ctx.table.runs
    if runs.empty:
        return []
    return list(dict.fromkeys(runs.loc[runs["task"] == "pde", "dataset"]))


def log_errors(frame: pd.DataFrame) -> list[float]:
    """log10 of each run's headline error (diverged runs count as 1, i.e. 0 on this scale)."""
    metric = f"test_{frame['metric'].iloc[0]}" if "metric" in frame.columns else "test_rel_l2"
    out = []
    for status, value in zip(frame["status"], col(frame, metric), strict=True):
        if status != "ok":
            out.append(0.0)
        elif value is not None and math.isfinite(float(value)) and float(value) > 0:
            out.append(math.log10(float(value)))
    return out


def epsilon_of(frame: pd.DataFrame) -> float | str:
    """The configuration's ε: a number, or ``"learnable"`` (learned per layer from nmn's 1e-5)."""
    value = frame["model.epsilon"].iloc[0] if "model.epsilon" in frame.columns else NMN_EPSILON
    if isinstance(value, str) and value.strip().lower() == "learnable":
        return "learnable"
    return float(value) if value is not None and not pd.isna(value) else NMN_EPSILON


def epsilon_text(frame: pd.DataFrame) -> str:
    """``1e-05``, ``0.1`` or ``learnable``: how a row names its ε."""
    value = epsilon_of(frame)
    return value if isinstance(value, str) else f"{value:g}"


def tuned_epsilon(frame: pd.DataFrame) -> bool:
    """ε chosen by a probe on Yat alone (a number other than nmn's default). A learned ε starts at the
    default and is learned by every seed's own training: not a probe."""
    value = epsilon_of(frame)
    return not isinstance(value, str) and not math.isclose(value, NMN_EPSILON)


def _matched(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    pa, pb = a["params"].median(), b["params"].median()
    return abs(pa - pb) <= MATCHED * max(pa, pb)


def _new(dataset: str, tuned: bool) -> Claim:
    note = (" — Yat with ε tuned by a Yat-only probe (tanh got no tuning): not a fair comparison by construction"
            if tuned else "")
    return Claim(
        "pde_yat_vs_tanh",
        "A Yat network (no activation) solves PDEs better than the standard tanh PINN at the same parameter count"
        + note + ".",
        "seeds/004",
        f"Relative L2 error of u on the {dataset} test grid (vs the exact or reference solution) of a yat and a tanh "
        "PINN trained alike (same collocation points per seed, loss, Adam/L-BFGS budget, no tuning for either) "
        "whose parameter counts are within 5%, compared on log10(error) over seeds.",
        RULE, quotes=(SEED_QUOTE,), command=SWEEP_COMMAND,
        short=f"Yat beats tanh on PDEs (seed 004){' [ε tuned on Yat]' if tuned else ''}",
        kind="tuned" if tuned else "seed")  # a tuned row is shown, labelled, and kept out of the tally


def decide(claim: Claim, yat: pd.DataFrame, tanh: pd.DataFrame) -> None:
    """Fill ``claim``'s verdict from the two configurations' log10 errors."""
    ly, lt = log_errors(yat), log_errors(tanh)
    sy, st = summarize(ly), summarize(lt)
    claim.runs = f"{runs_text(yat, 'yat')}; {runs_text(tanh, 'tanh')}"
    median = {name: 10 ** float(pd.Series(v).median()) if v else math.nan for name, v in (("yat", ly), ("tanh", lt))}
    spread = (f"yat: median rel L2 {median['yat']:.3g}, log10 {sy.fmt(2)} (n = {sy.n}); tanh: median rel L2 "
              f"{median['tanh']:.3g}, log10 {st.fmt(2)} (n = {st.n})")
    if sy.n < MIN_SEEDS or st.n < MIN_SEEDS:
        claim.verdict, claim.evidence = NOT_ENOUGH, f"{spread}; needs ≥ {MIN_SEEDS} seeds each"
        return
    claim.seeds = min(sy.n, st.n)
    diff, lo, hi = welch_diff(lt, ly)
    claim.verdict = SUPPORTED if lo > THRESHOLD else CONTRADICTED if hi < THRESHOLD else NOT_ENOUGH
    claim.thresholds = at_thresholds(lo, hi, tuple(sorted({THRESHOLD, *NEIGHBOURS})), above=True)
    claim.headline = (f"log10 error tanh − yat = {diff:+.2f} (×{10 ** diff:.3g}), 95% CI {fmt_interval(lo, hi, 2)}")
    claim.evidence = f"{spread}; {claim.headline} (Welch)"


def yat_vs_tanh(ctx: Context) -> list[Claim]:
    """One row per (PDE problem, Yat configuration, matched tanh configuration)."""
    claims = []
    for dataset in pde_datasets(ctx):
        for yat in ctx.matching(dataset, "yat"):
            tuned = tuned_epsilon(yat)
            for tanh in ctx.partner(yat, "tanh"):
                if not _matched(yat, tanh):
                    continue
                claim = _new(dataset, tuned).about(
                    [yat, tanh], label=f"{dataset}, {int(yat['params'].median())} vs {int(tanh['params'].median())} "
                                       f"params, yat ε = {epsilon_text(yat)}")
                decide(claim, yat, tanh)
                if tuned:
                    claim.notes.append("ε was chosen by a probe on Yat alone; the default-ε row is the fair one")
                claims.append(claim)
    return or_missing(claims, lambda: _new("PDE", False),
                      "needs yat and tanh runs on a PDE problem, trained alike, within 5% in parameters")


CLAIMS = [yat_vs_tanh]
