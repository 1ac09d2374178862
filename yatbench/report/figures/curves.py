"""Learning curves per epoch, and quality against parameter count (one point per configuration)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from yatbench.record import LOWER_IS_BETTER
from yatbench.report.context import Context
from yatbench.report.figures.base import Figure
from yatbench.report.figures.base import dataset_label as _dataset_label
from yatbench.report.measures import read_history
from yatbench.report.stats import summarize
from yatbench.report.style import MARKERS, color, pyplot, save
from yatbench.report.tables import col, params_text, seed_range

CURVE_LABELS = {"accuracy": "test accuracy (fraction)", "mse": "test MSE (z², log scale)",
                "rel_l2": "test relative L2 error of u (log scale)"}


def _history(ctx: Context, folder: str) -> pd.DataFrame | None:
    return read_history(ctx, folder)


def learning_curves(ctx: Context, dataset: str) -> Figure | None:
    """Train loss and the test headline metric against epochs: mean over seeds, band = min–max."""
    models = ctx.models(dataset)
    if not models:
        return None
    recorded = col(ctx.runs_of(dataset), "metric").dropna()
    headline = str(recorded.iloc[0]) if len(recorded) else "accuracy"
    regression = LOWER_IS_BETTER.get(headline, False)  # an error metric: drawn on a log scale
    metric, label = f"test_{headline}", CURVE_LABELS.get(headline, headline)
    solved_curve = dataset == "xor"
    if solved_curve:
        label = "share of seeds solved so far (fraction)"
    plt = pyplot()
    fig, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=(10, 3.9), layout="constrained")
    used = []
    for index, model in enumerate(models):
        frame = ctx.runs_of(dataset, model)
        curves = [h for h in (_history(ctx, f) for f in frame["folder"]) if h is not None]
        if not curves:
            continue
        used.append(f"{model} (seeds {seed_range(frame['seed'].tolist())})")
        for ax, key in ((ax_loss, "train_loss"), (ax_metric, metric)):
            series = [c.set_index("epoch")[key] for c in curves if key in c.columns]
            if not series:
                continue
            if key == metric and solved_curve:  # once every point is right, a seed counts as solved
                series = [(s >= 1.0).cummax().astype(float) for s in series]
            stacked = pd.concat(series, axis=1)
            mean = stacked.mean(axis=1)
            ax.plot(mean.index, mean.to_numpy(), color=color(model, index), lw=1.6,
                    label=f"{model} (n = {stacked.shape[1]}, {params_text(frame)} params)")
            if stacked.shape[1] > 1 and not (key == metric and solved_curve):
                ax.fill_between(mean.index, stacked.quantile(0.25, axis=1), stacked.quantile(0.75, axis=1),
                                color=color(model, index), alpha=0.12, lw=0)
    if not used:
        plt.close(fig)
        return None
    ax_loss.set_yscale("log")
    ax_loss.set_ylabel("training loss (log scale)")
    ax_metric.set_ylabel(label)
    if regression:
        ax_metric.set_yscale("log")
    for ax in (ax_loss, ax_metric):
        ax.set_xlabel("epoch (full-batch: 1 epoch = 1 step)" if solved_curve else "epoch")
        ax.legend(fontsize=8)
    fig.suptitle(f"{_dataset_label(dataset)}: learning curves (line: mean over seeds, band: 25–75% of seeds)",
                 x=0.01, ha="left")
    path = save(fig, ctx.out_dir / f"learning_curves_{dataset}.png")
    caption = f"Per-epoch history of the compared configuration of each model: {', '.join(used)}."
    return Figure(path.stem, path, f"{_dataset_label(dataset)} learning curves", caption, "curves")


def _budget_points(ctx: Context, dataset: str, model: str) -> pd.DataFrame:
    """Variants of one model that share the main variant's dataset and trainer settings, with their params."""
    runs = ctx.table.runs
    frame = runs[(runs["dataset"] == dataset) & (runs["model"] == model) & (runs["status"] == "ok")]
    main = frame[frame["variant"] == ctx.variants.get((dataset, model))]
    if main.empty:
        return frame.iloc[0:0]
    return frame[frame["setting"] == main["setting"].iloc[0]]


def budget_datasets(ctx: Context) -> list[str]:
    """Datasets where some model was run at two or more parameter counts (a param_budget sweep)."""
    runs = ctx.table.runs
    if runs.empty:
        return []
    out = []
    for dataset in dict.fromkeys(runs.loc[runs["task"] != "pde", "dataset"]):  # PDEs: figures/pde.py
        for model in ctx.models(dataset):
            if _budget_points(ctx, dataset, model)["params"].nunique() >= 2:
                out.append(dataset)
                break
    return out


def param_budget(ctx: Context, dataset: str) -> Figure | None:
    """Headline metric against parameter count (log x): mean with 95% interval per model and size."""
    models = ctx.models(dataset)
    regression = (col(ctx.runs_of(dataset), "task") == "regression").any()
    metrics = [("test_mse", "test MSE (z², log scale)"), ("test_r2", "test R² (unitless)")] if regression \
        else [("test_accuracy", "test accuracy (fraction)")]
    plt = pyplot()
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 4.0), squeeze=False,
                             layout="constrained")
    described = []
    for index, model in enumerate(models):
        frame = _budget_points(ctx, dataset, model)
        if frame.empty:
            continue
        sizes = sorted(frame["params"].unique())
        described.append(f"{model}: {', '.join(f'{int(p)}' for p in sizes)} params "
                         f"(seeds {seed_range(frame['seed'].tolist())})")
        for ax, (key, label) in zip(axes[0], metrics, strict=True):
            bounded = key == "test_accuracy"  # the t interval truncated to [0, 1]
            stats = [summarize(col(frame[frame["params"] == p], key), bounded=bounded) for p in sizes]
            means = np.array([s.mean for s in stats])
            lows = np.array([s.mean - s.lo if s.n > 1 else 0 for s in stats])
            highs = np.array([s.hi - s.mean if s.n > 1 else 0 for s in stats])
            counts = sorted({s.n for s in stats})
            ax.errorbar(sizes, means, yerr=[lows, highs], color=color(model, index), marker=MARKERS.get(model, "o"),
                        capsize=3, lw=1.5, label=f"{model} (n = {'/'.join(map(str, counts))} per size)")
            single = [i for i, s in enumerate(stats) if s.n == 1]  # no interval from one seed: drawn hollow
            if single:
                ax.scatter([sizes[i] for i in single], means[single], s=90, facecolors="white",
                           edgecolors=color(model, index), zorder=4, label=f"{model}: n = 1 (no interval)")
            ax.set_ylabel(label)
    for ax, (key, _) in zip(axes[0], metrics, strict=True):
        ax.set_xscale("log")
        ax.set_xlabel("trainable parameters (count, log scale)")
        if key == "test_mse":
            ax.set_yscale("log")
        if key == "test_r2":  # the "fewer parameters" claim decides at R² ≥ 0.9
            ax.axhline(0.9, color="#555555", ls="--", lw=1, label="claim threshold R² = 0.9")
        ax.legend(fontsize=8.5)
    fig.suptitle(f"{_dataset_label(dataset)}: quality against parameter count (mean, 95% CI over seeds)",
                 x=0.01, ha="left")
    path = save(fig, ctx.out_dir / f"param_budget_{dataset}.png")
    caption = "Each point is one model size, averaged over seeds. " + "; ".join(described) + "."
    return Figure(path.stem, path, f"{_dataset_label(dataset)}: quality vs parameters", caption, "budget")
