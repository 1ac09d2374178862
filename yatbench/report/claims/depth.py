"""Depth without activations or normalisation (seeds/004): do deep Yat stacks train at all?

A *depth series* is a set of Yat configurations (Linear readout, kernel yat) trained alike on one
classification dataset whose hidden layers all have one width and which differ only in how many
there are (at least two depths, e.g. the ``claims`` preset's 1, 2, 4, 8 × 64 on MNIST). Each depth
is decided on its own: does the final training loss (the trained model on the training set) lie
below the loss of chance (ln C for C classes; ln 2 for one binary logit)? The ReLU stack of the
same widths trained alike is quoted beside it, with test accuracy and the per-layer gradient norms
the runs recorded at initialisation and after training (:mod:`yatbench.gradients`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import pandas as pd

from yatbench.report.claims.base import Claim, Quote, compare_means, ok, or_missing, runs_text, threshold, yat_kernel
from yatbench.report.context import Context
from yatbench.report.stats import summarize
from yatbench.report.tables import col

NEIGHBOURS = (0.1, 0.5)  # × the chance loss: 'trains well', 'trains half-way'
QUOTE = Quote("004", "you can train deep neural networks without the need of activation functions, normalization "
                     "layers")
COMMAND = "yatbench sweep claims"


@dataclass
class DepthPoint:
    """One depth of a series: the Yat configuration and the ReLU one of the same widths trained alike (or empty)."""

    depth: int
    width: int
    yat: pd.DataFrame
    relu: pd.DataFrame


def hidden_of(frame: pd.DataFrame) -> list[int]:
    try:
        value = json.loads(str(frame["model.hidden"].iloc[0]))
    except (ValueError, KeyError):
        return []
    return value if isinstance(value, list) and all(isinstance(v, int) for v in value) else []


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
        point = DepthPoint(len(hidden), hidden[0], yat, partners[0] if partners else runs.iloc[0:0])
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


def deep_without_norm(ctx: Context) -> list[Claim]:
    def new(depth: int | None = None, width: int | None = None) -> Claim:
        size = f"{depth} hidden Yat layers of width {width}" if depth else "a stack of Yat layers"
        return Claim(
            "deep_no_norm",
            f"A deep network without activation functions or normalisation layers trains: {size}, Linear readout, "
            "reach a training loss below chance.", "seeds/004",
            "Final training loss (the trained model on the training set) of a Yat stack of equal widths (no "
            "activation, no normalisation) per seed, against the chance level's loss ln C; the ReLU stack of the same "
            "widths trained alike (no normalisation) beside it: training loss, test accuracy, gradient norms per "
            "layer at initialisation and after training.",
            "Supported if the 95% CI of the mean training loss lies below ln C (it 'trains at all', the issue's "
            "reading); contradicted if it lies at or above ln C. The neighbouring thresholds are 0.5·ln C and "
            "0.1·ln C (trains half-way, trains well).",
            quotes=(QUOTE,), command=COMMAND, short=f"Yat without normalisation trains at depth {depth or 'L'}")
    claims = []
    for series in depth_series(ctx):
        for point in series:
            claim = new(point.depth, point.width).about([point.yat, point.relu],
                                                       label=f"depth {point.depth} × {point.width}")
            claim.runs = f"{runs_text(point.yat, 'yat')}; {runs_text(point.relu, 'relu')}"
            chance = chance_loss(ctx.table.facts(point.yat["run_id"].iloc[0]).out_features)
            threshold(claim, col(ok(point.yat), "train_loss").tolist(), chance,
                      tuple(round(f * chance, 3) for f in NEIGHBOURS), False, "yat training loss")
            claim.notes.append(f"chance level: ln {round(math.exp(chance))} = {chance:.3f}")
            relu_loss = summarize(col(ok(point.relu), "train_loss"))
            claim.notes.append(f"relu training loss {relu_loss.fmt(3)} (n = {relu_loss.n})")
            if not point.relu.empty:
                accuracy = Claim("", "", "", "", "")
                compare_means(accuracy, col(ok(point.yat), "test_accuracy").tolist(),
                              col(ok(point.relu), "test_accuracy").tolist(), ("yat", "relu"), "test accuracy")
                claim.notes.append(accuracy.evidence)
            claim.notes.append(_gradients("yat", point.yat) + "; " + _gradients("relu", point.relu))
            claims.append(claim)
    return or_missing(claims, new, "needs a depth series: Yat stacks (readout linear) of ≥ 2 depths of one width "
                      "on a classification dataset, trained alike")


CLAIMS = [deep_without_norm]
