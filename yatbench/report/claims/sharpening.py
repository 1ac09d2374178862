"""Softmax sharpening (seeds/000): as training goes on, the winning prototype's probability → 1.

Every classifier records, per epoch, the mean over the test set of its winning class's softmax
probability (``test_max_prob`` in history.csv, see :func:`yatbench.train.objective.max_prob`). The claim
is decided on each configuration of the Yat prototype classifier (one Yat neuron per class, scores
as logits: the seed's "winning neuron") on any classification data with more than two classes,
judged against the linear classifier trained alike (same data, same budget): any softmax classifier
trained with cross-entropy sharpens, so the claim is that Yat's does so *more*, paired seed by seed.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from yatbench.report.stats import Summary, fmt_interval, summarize

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
ADVANTAGE_NEIGHBOURS = (0.0, 0.02, 0.05)  # the verdict if Yat had to be sharper by this much


@dataclass(frozen=True)
class Curve:
    """One run's ``test_max_prob``: after the first evaluation, at the scored epoch, and the last gain."""

    first: float
    end: float
    gain: float


def curves(ctx: Context, frame: pd.DataFrame) -> dict[int, Curve]:
    """Per seed, the run's curve. The scored epoch is the run's ``best_epoch`` where it records one (weights
    restored there by early stopping), else its last evaluation."""
    series = history_series(ctx, ok(frame), COLUMN) if not frame.empty else {}
    best = {}
    if "best_epoch" in frame.columns:
        best = {int(s): float(b) for s, b in zip(ok(frame)["seed"], ok(frame)["best_epoch"], strict=True) if b == b}
    out = {}
    for seed, s in series.items():
        upto = s[s.index <= best[seed]] if seed in best else s
        scored = upto if len(upto) else s
        out[seed] = Curve(float(s.iloc[0]), float(scored.iloc[-1]),
                          float(s.iloc[-1] - s.iloc[-2]) if len(s) > 1 else 0.0)
    return out


def _describe(name: str, runs: dict[int, Curve]) -> str:
    if not runs:
        return f"{name}: no {COLUMN} recorded"
    a, b = summarize([c.first for c in runs.values()]), summarize([c.end for c in runs.values()])
    return f"{name}: {a.fmt(3)} after the first evaluation → {b.fmt(3)} at the scored epoch (mean ± std, n = {b.n})"


@dataclass(frozen=True)
class Judgement:
    """The verdict and the paired summaries it rests on."""

    verdict: str
    earned_by: str
    rise: Summary  # the Yat classifier's rise, first evaluation → scored epoch
    ahead: Summary  # Yat − linear at the scored epoch, paired by seed
    faster: Summary  # Yat's rise − linear's rise, paired by seed


def judge(mine: dict[int, Curve], base: dict[int, Curve]) -> Judgement:
    """The rule in the claim's text, on the seeds both arms have (the caller checks there are ≥ MIN_SEEDS)."""
    seeds = sorted(set(mine) & set(base))
    rise = summarize([mine[s].end - mine[s].first for s in seeds])
    ahead = summarize([mine[s].end - base[s].end for s in seeds])
    faster = summarize([(mine[s].end - mine[s].first) - (base[s].end - base[s].first) for s in seeds])
    if rise.lo > 0 and ahead.lo > 0:
        return Judgement(SUPPORTED, "ⵟ as a whole (the prototype classifier against linear)", rise, ahead, faster)
    if ahead.hi <= 0:  # linear sharpens as much or more: the baseline wins
        return Judgement(CONTRADICTED, "none (baseline wins)", rise, ahead, faster)
    if rise.hi < 0:
        return Judgement(CONTRADICTED, "n/a", rise, ahead, faster)
    return Judgement(NOT_ENOUGH, "n/a", rise, ahead, faster)


def softmax_sharpens(ctx: Context) -> list[Claim]:
    def new() -> Claim:
        return Claim(
            "softmax_sharpens",
            "As training progresses, the prototype classifier's softmax approaches a delta distribution — more than "
            "a dot-product (linear) classifier trained alike: the winning neuron's probability rises towards 1.",
            "seeds/000",
            f"Per seed, the mean over the test set of the winning class's softmax probability ({COLUMN}, recorded "
            "at every evaluation) of the Yat prototype classifier and of the linear classifier trained on the same "
            "data and budget: its value at the scored epoch (the best validation epoch where runs record one, "
            "else the last), paired by seed (same data seed), and its rise from the first evaluation.",
            "Supported if the Yat classifier's rise has its 95% CI above 0 (it sharpens) and the paired Yat − linear "
            "difference at the scored epoch has its 95% CI above 0 (it sharpens more than the baseline). "
            "Contradicted if that difference's CI lies at or below 0 (linear sharpens as much or more) or the rise's "
            "CI below 0. Otherwise not enough data; no verdict without the linear classifier trained alike.",
            quotes=(Quote("000", "As training progresses, the softmax approaches a delta distribution — the winning "
                                 "neuron gets probability → 1, others → 0"),),
            command=SWEEP["paper"], short="the softmax sharpens towards a delta")
    claims = []
    for yat, linear in sharpening_arms(ctx):
        claim = new().about([yat, linear])
        claim.runs = f"{runs_text(yat, 'yat')}; {runs_text(linear, 'linear')}"
        claim.run_ids = [str(r) for f in (yat, linear) if not f.empty for r in ok(f)["run_id"]]
        mine, base = curves(ctx, yat), curves(ctx, linear)
        seeds = sorted(set(mine) & set(base))
        if len(mine) < MIN_SEEDS or len(seeds) < MIN_SEEDS:
            claim.evidence = (f"{len(mine)} Yat run(s) recorded {COLUMN}, {len(seeds)} paired with a linear run of the "
                              f"same seed trained alike (runs from before it was recorded lack it: rerun them with "
                              f"--force); needs ≥ {MIN_SEEDS} pairs")
            claims.append(claim)
            continue
        j = judge(mine, base)
        rise, ahead, faster = j.rise, j.ahead, j.faster
        final = summarize([c.end for c in mine.values()], bounded=True)
        claim.seeds, claim.verdict, claim.earned_by = ahead.n, j.verdict, j.earned_by
        claim.headline = (f"Yat − linear mean max P {ahead.mean:+.3f}, 95% CI {ahead.fmt_ci(3)}; Yat's rise "
                          f"{rise.mean:+.3f}")
        claim.evidence = (f"{_describe('yat', mine)}; {_describe('linear', base)}; Yat − linear at the scored epoch "
                          f"{ahead.mean:+.3f}, paired t 95% CI {fmt_interval(ahead.lo, ahead.hi, 3)} (n = {ahead.n}); "
                          f"Yat's rise {rise.mean:+.3f}, 95% CI {fmt_interval(rise.lo, rise.hi, 3)}; rise Yat − "
                          f"linear {faster.mean:+.3f}, 95% CI {fmt_interval(faster.lo, faster.hi, 3)}")
        claim.notes.append(f"the Yat classifier's value at the scored epoch: 95% CI {final.fmt_ci(3)} "
                           f"({final.method}); {SHARP} would be 'close to a delta' (not a decision threshold: the "
                           "linear classifier trained alike is)")
        gains = [c.gain for c in mine.values()]
        if sum(gains) / len(gains) > STILL_RISING:
            claim.notes.append(f"still rising at the last evaluation (+{sum(gains) / len(gains):.3f} per evaluation): "
                               "a longer budget (e.g. the paper preset's 80 epochs) may end higher")
        claim.thresholds = (at_thresholds(ahead.lo, ahead.hi, ADVANTAGE_NEIGHBOURS, True)
                            + " (if Yat had to be ahead of linear by this much)")
        claims.append(claim)
    return or_missing(claims, new, "no runs of the Yat prototype classifier (model.hidden=[] model.readout=none) "
                      "on data with more than two classes")


CLAIMS = [softmax_sharpens]
