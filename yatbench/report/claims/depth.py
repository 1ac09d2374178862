"""Depth without activations or normalisation (seeds/004): does a deep Yat stack train as well as a
normalised one?

The seed's sentence is about what Yat makes unnecessary: "you can train deep neural networks without
the need of activation functions, normalization layers". A network that *needs* normalisation to
train at depth is the ordinary one, a ReLU stack; so each depth is judged against a ReLU stack of the
same depth and width **with** normalisation (``model.norm=batch`` or ``layer``), trained alike. A depth
at which the Yat stack is worse than that baseline contradicts "trains at depth" there; one at which it
is as good (within a stated margin) supports it. The ReLU stack without normalisation is shown beside
it (does the baseline need its normalisation at that depth at all?), and so are the training loss
against chance (whether the stack trains at all, the old floor) and the loss gradient's norm per
weight matrix at initialisation (:mod:`yatbench.measures.gradients`), where vanishing gradients show first.

A *depth series* is a set of Yat configurations (Linear readout, kernel yat) trained alike on one
classification dataset whose hidden layers all have one width and which differ only in how many
there are (at least two depths, e.g. the ``claims`` preset's 1, 2, 4, 8, 16, 32 × 64 on MNIST).
Runs from before the ``norm`` option count as ``norm: none`` (they had none).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import pandas as pd

from yatbench.report.claims.base import (
    CONTRADICTED,
    MIN_SEEDS,
    NOT_ENOUGH,
    SUPPORTED,
    Claim,
    Quote,
    ok,
    or_missing,
    runs_text,
    yat_kernel,
)
from yatbench.report.context import Context
from yatbench.report.stats import fmt_interval, summarize, welch_diff
from yatbench.report.tables import col

# Non-inferiority margin on test accuracy: Yat "trains at depth as well as" the normalised stack when the
# 95% CI of (Yat − ReLU+norm) lies above −MARGIN; the neighbouring margins show how much rests on it.
MARGIN = 0.01
MARGINS = (0.0, 0.01, 0.02)
NORM_NAMES = {"batch": "batch norm", "layer": "layer norm", "none": "no normalisation"}
QUOTE = Quote("004", "the goal of this research paper is not to improve the performance, but to show that you can "
                     "train deep neural networks without the need of activation functions, normalization layers")
COMMAND = "yatbench sweep claims"


@dataclass
class DepthPoint:
    """One depth of a series: the Yat configuration and the ReLU ones of the same widths trained alike, by norm
    (``none``, ``batch``, ``layer``; a norm not trained is absent)."""

    depth: int
    width: int
    yat: pd.DataFrame
    relu_by_norm: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def relu(self) -> pd.DataFrame:
        """The ReLU stack without normalisation (empty when not trained)."""
        return self.relu_by_norm.get("none", self.yat.iloc[0:0])

    def normalised(self) -> dict[str, pd.DataFrame]:
        """The normalised ReLU stacks, by norm."""
        return {norm: frame for norm, frame in self.relu_by_norm.items() if norm != "none"}


def hidden_of(frame: pd.DataFrame) -> list[int]:
    try:
        value = json.loads(str(frame["model.hidden"].iloc[0]))
    except (ValueError, KeyError):
        return []
    return value if isinstance(value, list) and all(isinstance(v, int) for v in value) else []


def norm_of(frame: pd.DataFrame) -> str:
    """A ReLU configuration's ``model.norm``; ``none`` for runs recorded before the option existed."""
    if "model.norm" not in frame.columns:
        return "none"
    value = frame["model.norm"].iloc[0]
    return "none" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def chance_loss(out_features: int) -> float:
    """The loss of predicting the class frequencies of balanced classes: ln C (ln 2 for one binary logit)."""
    return math.log(max(out_features, 2))


def depth_series(ctx: Context) -> list[list[DepthPoint]]:
    """Every depth series (≥ 2 depths of one width, trained alike), shallowest first."""
    runs = ctx.table.runs
    groups: dict[tuple[str, int], list[DepthPoint]] = {}
    for yat in ctx.matching(None, "yat", **{"model.readout": "linear", **yat_kernel(runs.columns)}):
        hidden = hidden_of(yat)
        if not hidden or len(set(hidden)) != 1 or ctx.table.facts(yat["run_id"].iloc[0]).task != "classification":
            continue
        partners = ctx.partner(yat, "relu", **{"model.hidden": str(yat["model.hidden"].iloc[0])})
        point = DepthPoint(len(hidden), hidden[0], yat, {norm_of(frame): frame for frame in partners})
        groups.setdefault((str(yat["setting"].iloc[0]), hidden[0]), []).append(point)
    series = []
    for points in groups.values():
        depths = {p.depth for p in points}
        if len(depths) >= 2 and len(depths) == len(points):
            series.append(sorted(points, key=lambda p: p.depth))
    return series


def grad_profile(frame: pd.DataFrame, stage: str) -> list[float]:
    """Mean over seeds of grad_norm_<stage>_<l>, l = 1 … L (input to output); [] when not recorded."""
    done = ok(frame)
    if done.empty:
        return []
    layers = sorted(int(c.rsplit("_", 1)[1]) for c in done.columns
                    if c.startswith(f"grad_norm_{stage}_") and done[c].notna().any())
    return [float(col(done, f"grad_norm_{stage}_{layer}").mean()) for layer in layers]


def _gradients(name: str, frame: pd.DataFrame) -> str:
    init, final = grad_profile(frame, "init"), grad_profile(frame, "final")
    if not init or math.isnan(init[0]):
        return f"{name}: no gradient norms recorded"
    return (f"{name} ‖∂loss/∂W‖ first → last layer at init {init[0]:.2g} → {init[-1]:.2g}, "
            f"after training {final[0]:.2g} → {final[-1]:.2g}")


def _accuracy(frame: pd.DataFrame) -> list[float]:
    return col(ok(frame), "test_accuracy").tolist() if not frame.empty else []


def decide(claim: Claim, yat: list[float], baseline: list[float], name: str) -> None:
    """Yat's test accuracy against the normalised baseline's: contradicted when the 95% CI of the difference lies
    below 0 (Yat worse), supported when it lies above −MARGIN (as good, within the margin), else not enough data."""
    a, b = summarize(yat), summarize(baseline)
    claim.evidence = (f"yat {a.fmt(3)} vs {name} {b.fmt(3)} test accuracy (mean ± std, n = {a.n}, {b.n})")
    if a.n < MIN_SEEDS or b.n < MIN_SEEDS:
        claim.verdict = NOT_ENOUGH
        claim.evidence += f"; needs ≥ {MIN_SEEDS} seeds each"
        return
    diff, lo, hi = welch_diff(yat, baseline)
    claim.seeds = min(a.n, b.n)
    claim.headline = f"yat − {name}: {diff:+.3f} test accuracy, 95% CI {fmt_interval(lo, hi)}"
    claim.evidence += f"; yat − {name} = {diff:+.3f}, Welch 95% CI {fmt_interval(lo, hi)} (over seeds)"

    def at(margin: float) -> str:
        return CONTRADICTED if hi < 0 else SUPPORTED if lo >= -margin else NOT_ENOUGH

    claim.verdict = at(MARGIN)
    claim.thresholds = " · ".join(f"margin {m:g}: {at(m)}" for m in MARGINS)
    claim.earned_by = ("ⵟ as a whole (no ablation at depth)" if claim.verdict == SUPPORTED
                       else "none (baseline wins)" if claim.verdict == CONTRADICTED else "n/a")


def deep_without_norm(ctx: Context) -> list[Claim]:
    def new(depth: int | None = None, width: int | None = None, norm: str = "batch") -> Claim:
        size = (f"{depth} hidden Yat layer{'s' if depth != 1 else ''} of width {width}" if depth
                else "a deep stack of Yat layers")
        return Claim(
            "deep_no_norm",
            f"A deep network without activation functions or normalisation layers trains as well as one that has "
            f"them: {size} (Linear readout) reach the test accuracy of a ReLU stack of the same depth and width "
            f"with {NORM_NAMES.get(norm, norm)}.", "seeds/004",
            "Test accuracy per seed of a Yat stack of equal widths (no activation, no normalisation) and of a ReLU "
            "stack of the same depth and width with normalisation (Linear → norm → ReLU), trained alike; beside "
            "them the ReLU stack without normalisation, the final training loss against chance (ln C) and the "
            "loss gradient's norm per weight matrix at initialisation and after training.",
            f"Contradicted if the 95% CI of the accuracy difference (Yat − normalised ReLU) lies below 0: Yat is "
            f"worse than the baseline it claims to make unnecessary, at this depth. Supported if it lies above "
            f"−{MARGIN:g} (as good, within {MARGIN:g} accuracy). Otherwise not enough data. Neighbouring margins "
            f"{', '.join(f'{m:g}' for m in MARGINS)}.",
            quotes=(QUOTE,), command=COMMAND, short=f"Yat without normalisation trains at depth {depth or 'L'}")
    claims = []
    for series in depth_series(ctx):
        for point in series:
            baselines = point.normalised() or {"batch": point.yat.iloc[0:0]}
            for norm, baseline in sorted(baselines.items()):
                name = f"relu+{norm}norm"
                claim = new(point.depth, point.width, norm).about(
                    [point.yat, baseline], label=f"depth {point.depth} × {point.width} vs {name}")
                claim.runs = f"{runs_text(point.yat, 'yat')}; {runs_text(baseline, name)}; " \
                             f"{runs_text(point.relu, 'relu (no norm)')}"
                claim.run_ids = [*ok(point.yat)["run_id"], *ok(baseline)["run_id"]]
                if baseline.empty:
                    claim.evidence = (f"needs the normalised baseline: relu model.norm=batch (or layer) with "
                                      f"model.hidden={hidden_text(point)} trained alike")
                else:
                    decide(claim, _accuracy(point.yat), _accuracy(baseline), name)
                plain = summarize(_accuracy(point.relu))
                if plain.n:
                    diff, lo, hi = welch_diff(_accuracy(point.yat), _accuracy(point.relu))
                    claim.notes.append(f"relu without normalisation: test accuracy {plain.fmt(3)} (n = {plain.n}); "
                                       f"yat − relu = {diff:+.3f}, 95% CI {fmt_interval(lo, hi)}")
                chance = chance_loss(ctx.table.facts(point.yat["run_id"].iloc[0]).out_features)
                losses = summarize(col(ok(point.yat), "train_loss"))
                claim.notes.append(f"yat final training loss {losses.fmt(3)} (n = {losses.n}) against chance "
                                   f"ln {round(math.exp(chance))} = {chance:.3f}")
                claim.notes.append("; ".join(_gradients(label, frame) for label, frame in
                                             (("yat", point.yat), (name, baseline), ("relu", point.relu))
                                             if not frame.empty))
                claims.append(claim)
    return or_missing(claims, new, "needs a depth series: Yat stacks (readout linear) of ≥ 2 depths of one width "
                      "on a classification dataset, and ReLU stacks of the same widths with model.norm=batch (or "
                      "layer), trained alike")


def hidden_text(point: DepthPoint) -> str:
    return "[" + ",".join([str(point.width)] * point.depth) + "]"


CLAIMS = [deep_without_norm]
