"""Softmax sharpening (seeds/000): as training goes on, the winning prototype's probability → 1.

Every classifier records, per epoch, the mean over the test set of its winning class's softmax
probability (``test_max_prob`` in history.csv, see :func:`yatbench.objective.max_prob`). The claim
is decided on each configuration of the Yat prototype classifier (one Yat neuron per class, scores
as logits: the seed's "winning neuron") on any classification data with more than two classes,
with the linear classifier trained alike beside it.
"""

from __future__ import annotations

import pandas as pd

from yatbench.report.claims.base import (
    CONTRADICTED,
    MIN_SEEDS,
    NOT_ENOUGH,
    SUPPORTED,
    SWEEP,
    Claim,
    Quote,
    at_thresholds,
    ok,
    or_missing,
    runs_text,
    yat_kernel,
)
from yatbench.report.context import Context
from yatbench.report.measures import history_series
from yatbench.report.stats import fmt_interval, summarize

COLUMN = "test_max_prob"
SHARP = 0.9  # 'approaches a delta distribution': the winner holds ≥ 90% of the probability on average
NEIGHBOURS = (0.8, 0.95, 0.99)
PROTOTYPE = {"model.hidden": "[]", "model.readout": "none"}


def sharpening_arms(ctx: Context) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """(Yat prototype classifier configuration, linear configuration trained alike or empty), > 2 classes."""
    runs = ctx.table.runs
    arms = []
    for yat in ctx.matching(None, "yat", **PROTOTYPE, **yat_kernel(runs.columns)):
        facts = ctx.table.facts(yat["run_id"].iloc[0])
        if facts.task != "classification" or facts.out_features < 3:
            continue
        arms += [(yat, linear) for linear in ctx.partner(yat, "linear") or [runs.iloc[0:0]]]
    return arms


STILL_RISING = 0.005  # a last-epoch gain above this: the budget ended before the curve flattened


def first_last(ctx: Context, frame: pd.DataFrame) -> tuple[list[float], list[float], list[float]]:
    """Per seed, the mean max probability after the first recorded epoch, after the last, and its last gain."""
    series = history_series(ctx, ok(frame), COLUMN) if not frame.empty else {}
    gains = [float(s.iloc[-1] - s.iloc[-2]) for s in series.values() if len(s) > 1]
    return [float(s.iloc[0]) for s in series.values()], [float(s.iloc[-1]) for s in series.values()], gains


def _describe(name: str, first: list[float], last: list[float]) -> str:
    if not last:
        return f"{name}: no {COLUMN} recorded"
    a, b = summarize(first), summarize(last)
    return f"{name}: {a.fmt(3)} after the first epoch → {b.fmt(3)} at the end (mean ± std, n = {b.n})"


def softmax_sharpens(ctx: Context) -> list[Claim]:
    def new() -> Claim:
        return Claim(
            "softmax_sharpens",
            "As training progresses, the prototype classifier's softmax approaches a delta distribution: the "
            "winning neuron's probability rises towards 1.", "seeds/000",
            f"Per seed, the mean over the test set of the winning class's softmax probability ({COLUMN}, recorded "
            "every evaluated epoch) of the Yat prototype classifier: its rise from the first recorded epoch to the "
            "last, and its final value; the linear classifier trained alike beside it.",
            f"Supported if the 95% CI of the final value lies ≥ {SHARP} (yatbench's reading of 'approaches a delta "
            f"distribution') and the 95% CI of the per-seed rise last − first lies above 0 (it rises); contradicted "
            f"if the final value's CI lies below {SHARP} or the rise's CI below 0; otherwise not enough data.",
            quotes=(Quote("000", "As training progresses, the softmax approaches a delta distribution — the winning "
                                 "neuron gets probability → 1, others → 0"),),
            command=SWEEP["paper"], short="the softmax sharpens towards a delta")
    claims = []
    for yat, linear in sharpening_arms(ctx):
        claim = new().about([yat, linear])
        claim.runs = f"{runs_text(yat, 'yat')}; {runs_text(linear, 'linear')}"
        first, last, gains = first_last(ctx, yat)
        lin_first, lin_last, _ = first_last(ctx, linear)
        claim.notes.append("beside it, " + _describe("linear", lin_first, lin_last))
        if len(last) < MIN_SEEDS:
            claim.evidence = (f"{len(last)} Yat run(s) recorded {COLUMN} (runs from before it was recorded lack it: "
                              f"rerun them with --force); needs ≥ {MIN_SEEDS}")
            claims.append(claim)
            continue
        final = summarize(last, bounded=True)
        change = summarize([b - a for a, b in zip(first, last, strict=True)])  # paired: the same seed's run
        rise, lo, hi = change.mean, change.lo, change.hi
        claim.seeds = final.n
        claim.headline = f"final mean max P {final.mean:.3f}, 95% CI {final.fmt_ci(3)}; rise {rise:+.3f}"
        claim.evidence = (_describe("yat", first, last) + f"; final 95% CI {final.fmt_ci(3)} ({final.method}), "
                          f"rise {rise:+.3f}, paired t 95% CI {fmt_interval(lo, hi, 3)}")
        rises = lo > 0
        if rises and final.lo >= SHARP:
            claim.verdict = SUPPORTED
        elif hi < 0 or final.hi < SHARP:
            claim.verdict = CONTRADICTED
        else:
            claim.verdict = NOT_ENOUGH
        if gains and sum(gains) / len(gains) > STILL_RISING:
            claim.notes.append(f"still rising at the last epoch (+{sum(gains) / len(gains):.3f} per evaluation): a "
                               "longer budget (e.g. the paper preset's 80 epochs) may end higher")
        claim.thresholds = (at_thresholds(final.lo, final.hi, tuple(sorted({SHARP, *NEIGHBOURS})), True)
                            + f" (final value; the rise is {'' if rises else 'not '}clear of 0)")
        claims.append(claim)
    return or_missing(claims, new, "no runs of the Yat prototype classifier (model.hidden=[] model.readout=none) "
                      "on data with more than two classes")


CLAIMS = [softmax_sharpens]
