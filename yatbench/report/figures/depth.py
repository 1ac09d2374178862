"""Depth without normalisation (seeds/004): accuracy, training loss and gradient norms against depth."""

from __future__ import annotations

import numpy as np

from yatbench.report.claims.depth import DepthPoint, chance_loss, depth_series, grad_profile
from yatbench.report.context import Context
from yatbench.report.figures.base import Figure, dataset_label
from yatbench.report.stats import summarize
from yatbench.report.style import MARKERS, color, pyplot, save
from yatbench.report.tables import col


def _points(series: list[DepthPoint], model: str, metric: str) -> tuple[list[int], list[float], list[float], str]:
    depths, means, stds, params, seeds = [], [], [], [], set()
    for point in series:
        frame = point.yat if model == "yat" else point.relu
        s = summarize(col(frame[frame["status"] == "ok"], metric)) if not frame.empty else summarize([])
        if s.n:
            depths.append(point.depth)
            means.append(s.mean)
            stds.append(0.0 if np.isnan(s.std) else s.std)
            params.append(int(frame["params"].median()))
            seeds.add(s.n)
    label = (f"{model}: {min(params)}–{max(params)} params, n = {'/'.join(map(str, sorted(seeds)))} per depth"
             if params else model)
    return depths, means, stds, label


def depth_figure(ctx: Context) -> list[Figure]:
    """One figure per depth series: test accuracy and final training loss vs depth, gradient norms per layer."""
    figures = []
    for index, series in enumerate(depth_series(ctx), start=1):
        plt = pyplot()
        fig, (ax_acc, ax_loss, ax_grad) = plt.subplots(1, 3, figsize=(14, 4.2), layout="constrained")
        facts = ctx.table.facts(series[0].yat["run_id"].iloc[0])
        chance = chance_loss(facts.out_features)
        for model in ("yat", "relu"):
            for ax, metric in ((ax_acc, "test_accuracy"), (ax_loss, "train_loss")):
                depths, means, stds, label = _points(series, model, metric)
                if depths:
                    ax.errorbar(depths, means, yerr=stds, color=color(model), marker=MARKERS.get(model, "o"),
                                capsize=3, lw=1.6, label=label)
        deepest = series[-1]
        for model, frame in (("yat", deepest.yat), ("relu", deepest.relu)):
            for stage, style in (("init", ":"), ("final", "-")):
                profile = grad_profile(frame, stage)
                if profile and not all(np.isnan(profile)):
                    n = int(frame["status"].eq("ok").sum())
                    ax_grad.plot(range(1, len(profile) + 1), profile, style, color=color(model),
                                 marker=MARKERS.get(model, "o"), ms=4,
                                 label=f"{model} {'at init' if stage == 'init' else 'trained'} "
                                       f"({int(frame['params'].median())} params, n = {n})")
        ax_loss.axhline(chance, color="#444444", ls="--", lw=1, label=f"chance: ln {facts.out_features} = {chance:.2f}")
        ax_acc.axhline(1 / max(facts.out_features, 2), color="#888888", ls=":", lw=1, label="chance accuracy")
        for ax in (ax_acc, ax_loss):
            ax.set_xscale("log", base=2)
            ax.set_xticks([p.depth for p in series], [str(p.depth) for p in series])
            ax.set_xlabel(f"hidden layers of width {series[0].width} (depth, log₂ scale)")
            ax.legend(fontsize=7.5)
        ax_acc.set_ylabel("test accuracy (fraction)")
        ax_loss.set_ylabel("final training loss (cross-entropy, nats, log scale)")
        ax_loss.set_yscale("log")
        ax_grad.set_yscale("log")
        layers = len(grad_profile(deepest.yat, "init")) or len(grad_profile(deepest.relu, "init"))
        if layers:
            ax_grad.set_xticks(range(1, layers + 1))
        ax_grad.set_xlabel(f"layer (1 = first; {len(grad_profile(deepest.yat, 'init')) or '?'} = readout), "
                           f"depth {deepest.depth}")
        ax_grad.set_ylabel("‖∂loss/∂W‖_F (log scale)")
        ax_grad.legend(fontsize=7.5)
        dataset = str(series[0].yat["dataset"].iloc[0])
        fig.suptitle(f"{dataset_label(dataset)}: Yat (no activation, no normalisation) vs ReLU (no normalisation) "
                     "against depth — mean ± std over seeds", x=0.01, ha="left")
        path = save(fig, ctx.out_dir / f"depth_{index}.png")
        caption = ("Left and middle: test accuracy and final training loss per depth (error bars: ± 1 std over "
                   "seeds); the dashed line is the chance level's loss, the claim's threshold. Right: the loss "
                   f"gradient's norm per weight matrix of the deepest stack ({deepest.depth} layers), mean over seeds, "
                   "at initialisation (dotted) and after training (solid), on the first 2048 training samples.")
        figures.append(Figure(path.stem, path, f"Depth without normalisation (width {series[0].width})", caption,
                              "seeds"))
    return figures


FIGURES = [depth_figure]
