"""Depth without normalisation (seeds/004): accuracy and gradient norms at init against depth, Yat beside ReLU
with and without normalisation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from yatbench.report.claims.depth import DepthPoint, depth_series, grad_profile
from yatbench.report.context import Context
from yatbench.report.figures.base import Figure, Section, dataset_label
from yatbench.report.stats import summarize
from yatbench.report.style import color, marker, pyplot, save
from yatbench.report.tables import col

SECTIONS = [Section("seeds", "Further seed claims", "Depth without normalisation, softmax sharpening, the gate's "
                    "division of labour (seeds/000, 001, 004).", rank=90)]

LINES = {"none": "-", "batch": "--", "layer": "-."}
NORM_COLORS = {"batch": "#D55E00", "layer": "#CC79A7"}  # apart from Yat's blue and ReLU's green


def _arms(series: list[DepthPoint]) -> list[tuple[str, str, str, int]]:
    """(label, model, norm, colour index) of every arm the series holds: Yat, then ReLU by norm."""
    norms = sorted({norm for point in series for norm in point.relu_by_norm}, key=["none", "batch", "layer"].index)
    return [("yat", "yat", "none", 0), *((f"relu+{n}norm" if n != "none" else "relu (no norm)", "relu", n, i)
                                         for i, n in enumerate(norms, start=1))]


def _frame(point: DepthPoint, model: str, norm: str) -> pd.DataFrame:
    return point.yat if model == "yat" else point.relu_by_norm.get(norm, point.yat.iloc[0:0])


def _style(model: str, norm: str, index: int) -> dict:
    shade = color(model) if model == "yat" or norm == "none" else NORM_COLORS.get(norm, color("", index))
    return {"color": shade, "marker": marker(model, "o"), "ls": LINES.get(norm, ":")}


def _points(series: list[DepthPoint], model: str, norm: str, metric: str) -> tuple[list[int], list[float],
                                                                                      list[float], str]:
    depths, means, stds, params, seeds = [], [], [], [], set()
    for point in series:
        frame = _frame(point, model, norm)
        values = col(frame[frame["status"] == "ok"], metric) if not frame.empty and metric in frame.columns else []
        s = summarize(values)
        if s.n:
            depths.append(point.depth)
            means.append(s.mean)
            stds.append(0.0 if np.isnan(s.std) else s.std)
            params.append(int(frame["params"].median()))
            seeds.add(s.n)
    label = (f"{min(params)}–{max(params)} params, n = {'/'.join(map(str, sorted(seeds)))} per depth"
             if params else "")
    return depths, means, stds, label


def depth_figure(ctx: Context) -> list[Figure]:
    """One figure per depth series: test accuracy and first-layer gradient at init vs depth, gradient per layer."""
    figures = []
    for index, series in enumerate(depth_series(ctx), start=1):
        plt = pyplot()
        fig, (ax_acc, ax_first, ax_grad) = plt.subplots(1, 3, figsize=(15, 4.4), layout="constrained")
        facts = ctx.table.facts(series[0].yat["run_id"].iloc[0])
        deepest = series[-1]
        for name, model, norm, shade in _arms(series):
            style = _style(model, norm, shade)
            depths, means, stds, label = _points(series, model, norm, "test_accuracy")
            if depths:
                ax_acc.errorbar(depths, means, yerr=stds, capsize=3, lw=1.6, label=f"{name}: {label}", **style)
            depths, means, _, _ = _points(series, model, norm, "grad_norm_init_1")
            if depths:
                ax_first.plot(depths, means, lw=1.6, label=name, **style)
            frame = _frame(deepest, model, norm)
            for stage, alpha in (("init", 1.0), ("final", 0.45)):
                profile = grad_profile(frame, stage)
                if profile and not all(np.isnan(profile)):
                    ax_grad.plot(range(1, len(profile) + 1), profile, lw=1.4, ms=3, alpha=alpha,
                                 label=f"{name} {'at init' if stage == 'init' else 'trained'}", **style)
        ax_acc.axhline(1 / max(facts.out_features, 2), color="#888888", ls=":", lw=1, label="chance accuracy")
        for ax in (ax_acc, ax_first):
            ax.set_xscale("log", base=2)
            ax.set_xticks([p.depth for p in series], [str(p.depth) for p in series])
            ax.set_xlabel(f"hidden layers of width {series[0].width} (depth, log₂ scale)")
            ax.legend(fontsize=7)
        ax_acc.set_ylabel("test accuracy (fraction)")
        ax_first.set_ylabel("first layer's ‖∂loss/∂W‖_F at init (log scale)")
        ax_first.set_yscale("log")
        ax_grad.set_yscale("log")
        ax_grad.set_xlabel(f"weight matrix (1 = first; {deepest.depth + 1} = readout), depth {deepest.depth}")
        ax_grad.set_ylabel("‖∂loss/∂W‖_F (log scale)")
        ax_grad.legend(fontsize=7)
        dataset = str(series[0].yat["dataset"].iloc[0])
        fig.suptitle(f"{dataset_label(dataset)}: Yat (no activation, no normalisation) vs ReLU with and without "
                     "normalisation against depth — mean over seeds", x=0.01, ha="left")
        path = save(fig, ctx.out_dir / f"depth_{index}.png")
        caption = ("Left: test accuracy per depth (error bars: ± 1 std over seeds); the claim is decided per depth "
                   "against the normalised ReLU stack (dashed: batch norm, dash-dotted: layer norm). Middle: the "
                   "first weight matrix's loss-gradient norm at initialisation per depth (vanishing gradients show "
                   f"here first). Right: the gradient norm per weight matrix of the deepest stacks ({deepest.depth} "
                   "layers), mean over seeds, at initialisation (solid colour) and after training (faded), on the "
                   "first 2048 training samples. A norm that underflows to 0 in float32 cannot be drawn on the log "
                   "scale and is missing.")
        figures.append(Figure(path.stem, path, f"Depth without normalisation (width {series[0].width})", caption,
                              "seeds"))
    return figures


FIGURES = [depth_figure]
