"""Learning curves per epoch, and quality against parameter count (one point per configuration)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from yatbench.core.narrow import seed_range
from yatbench.core.record import LOWER_IS_BETTER
from yatbench.report.claims.compositional import R2_TARGET
from yatbench.report.claims.xor import SOLVE_RATE
from yatbench.report.context import Context, configurations
from yatbench.report.figures.base import Figure, Section
from yatbench.report.figures.base import dataset_label as _dataset_label
from yatbench.report.load import as_text, config_columns, show_value
from yatbench.report.measures import read_history
from yatbench.report.stats import summarize, wilson
from yatbench.report.style import DRAWABLE, color, drawable, marker, pyplot, save, short_label
from yatbench.report.tables import col, params_text

SECTIONS = [Section("budget", "Quality against parameter count", "The param_budget sweep: does Yat need fewer "
                    "parameters (seeds/003)?", rank=50),
            Section("curves", "Learning curves", "Training loss and test metric per epoch.", rank=80)]

SERIES_COLORS = ["#56B4E9", "#D55E00", "#000000", "#CC79A7", "#009E73"]  # a model's further series
SERIES_COLORS += ["#0072B2", "#E69F00", "#999999"]  # and, with every configuration drawn, one per configuration
LINESTYLES = ["-", "--", "-.", ":"]
MAX_CURVES = 8  # more configurations than this on one dataset: the drawn one per model, named
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
    solved_curve = ctx.table.facts(ctx.runs_of(dataset)["run_id"].iloc[0]).track_solved
    if solved_curve:
        label = "share of seeds solved so far (fraction)"
    plt = pyplot()
    fig, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=(10, 3.9), layout="constrained")
    used = []
    undrawn = 0  # recorded values that cannot be drawn (non-finite, or beyond ±DRAWABLE)
    runs = ctx.table.runs
    every = configurations(runs[(runs["dataset"] == dataset) & (runs["status"] == "ok")])
    # every configuration when they are few enough to read apart, else the drawn one per model; each named
    lines = every if len(every) <= MAX_CURVES else [ctx.runs_of(dataset, m) for m in models]
    for index, frame in enumerate(lines):
        model = str(frame["model"].iloc[0])
        curves = [h for h in (_history(ctx, f) for f in frame["folder"]) if h is not None]
        if not curves:
            continue
        words = frame["variant_label"].iloc[0]
        name = f"{model}{' ' + short_label(words) if words else ''}"
        used.append(f"{model}{' ' + words if words else ''} (`{frame['variant'].iloc[0]}`, "
                    f"seeds {seed_range(frame['seed'].tolist())})")
        for ax, key in ((ax_loss, "train_loss"), (ax_metric, metric)):
            recorded = [c.set_index("epoch")[key] for c in curves if key in c.columns]
            series = [drawable(s) for s in recorded]
            undrawn += sum(int(s.notna().sum() - d.notna().sum()) for s, d in zip(recorded, series, strict=True))
            if not series:
                continue
            if key == metric and solved_curve:  # once every point is right, a seed counts as solved
                series = [(s >= 1.0).cummax().astype(float) for s in series]
            stacked = pd.concat(series, axis=1)
            mean = stacked.mean(axis=1)
            one_each = len(lines) == len(models)  # one line per model: its colour; else one style per configuration
            tint = color(model, index) if one_each else SERIES_COLORS[index % len(SERIES_COLORS)]
            ax.plot(mean.index, mean.to_numpy(), color=tint, lw=1.6, ls="-" if one_each else
                    LINESTYLES[index % len(LINESTYLES)],
                    label=f"{name} (n = {stacked.shape[1]}, {params_text(frame)} params)")
            if stacked.shape[1] > 1 and not (key == metric and solved_curve):
                ax.fill_between(mean.index, stacked.quantile(0.25, axis=1), stacked.quantile(0.75, axis=1),
                                color=tint, alpha=0.12, lw=0)
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
    which = "every configuration" if len(lines) == len(every) else "the compared configuration of each model"
    caption = f"Per-epoch history of {which}: {', '.join(used)}."
    if undrawn:
        caption += (f" {undrawn} recorded value(s) not finite or beyond ±{DRAWABLE:g} are not drawn (gaps); "
                    "the run cards below show them.")
    return Figure(path.stem, path, f"{_dataset_label(dataset)} learning curves", caption, "curves")


def _budget_points(ctx: Context, dataset: str, model: str) -> pd.DataFrame:
    """Configurations of one model trained in the main configuration's setting (same data and training)."""
    runs = ctx.table.runs
    frame = runs[(runs["dataset"] == dataset) & (runs["model"] == model) & (runs["status"] == "ok")]
    main = frame[frame["variant"] == ctx.variants.get((dataset, model))]
    if main.empty:
        return frame.iloc[0:0]
    return frame[frame["setting"] == main["setting"].iloc[0]]


def budget_series(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``frame`` (one model, one setting) split into series with one configuration per parameter count.

    A config key whose values differ between configurations *of the same size* (the ablation kernel)
    names a series of its own; keys that only change with the size (hidden widths) run along the
    curve. Runs of different configurations are never pooled into one point.
    """
    by_size = [configurations(f) for _, f in frame.groupby("params", sort=True)]
    splitting = [c for c in config_columns(frame)
                 if any(len({show_value(f[c].iloc[0]) for f in group}) > 1 for group in by_size)]
    if not splitting:
        return {"": frame}
    series: dict[str, pd.DataFrame] = {}
    for values, part in frame.groupby([as_text(frame[c]) for c in splitting], sort=False):
        values = values if isinstance(values, tuple) else (values,)
        series[" ".join(f"{c.split('.')[-1]}={v}" for c, v in zip(splitting, values, strict=True))] = part
    return series


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


def _spaced_ticks(ax: Any, sizes: list[int]) -> None:
    """Label the parameter counts drawn, leaving out any within 18% of a labelled neighbour (no overlap)."""
    kept: list[int] = []
    for size in sorted(set(sizes)):
        if not kept or size > 1.18 * kept[-1]:
            kept.append(size)
    ax.xaxis.set_major_locator(FixedLocator(kept))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{round(v):,}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(min(kept) / 1.35, max(kept) * 1.35)


def _solve_rate(frame: pd.DataFrame) -> tuple[float, float, float, int, int]:
    """Share of seeds solved (every test point right), its Wilson 95% interval, k and n."""
    k, n = int(col(frame, "solved").fillna(False).astype(bool).sum()), len(frame)
    lo, hi = wilson(k, n)
    return (k / n if n else math.nan), lo, hi, k, n


def _solved_text(frame: pd.DataFrame) -> str:
    _, lo, hi, k, n = _solve_rate(frame)
    return f"{k}/{n} solved [{lo:.2f}, {hi:.2f}]"


def param_budget(ctx: Context, dataset: str) -> Figure | None:
    """Headline metric against parameter count (log x), one point per configuration: mean with 95% interval,
    or for tasks scored by solving (XOR) the share of seeds solved with its Wilson interval."""
    models = ctx.models(dataset)
    some = ctx.runs_of(dataset)
    solving = bool(len(some)) and ctx.table.facts(some["run_id"].iloc[0]).track_solved
    regression = (col(some, "task") == "regression").any()
    metrics = ([("test_mse", "test MSE (z², log scale)"), ("test_r2", "test R² (unitless)")] if regression
               else [("solved", "share of seeds solved (fraction, Wilson 95% CI)")] if solving
               else [("test_accuracy", "test accuracy (fraction)")])
    plt = pyplot()
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.6 * len(metrics) + 1.0, 4.4), squeeze=False,
                             layout="constrained")
    described, drawn_sizes = [], []
    lines = []
    for model in models:  # the series holding the drawn configuration first, in the model's colour
        series = budget_series(_budget_points(ctx, dataset, model))
        main = ctx.variants.get((dataset, model))
        lines += sorted(((model, name, part) for name, part in series.items()),
                        key=lambda line, main=main: main not in set(line[2]["variant"]))
    same_sizes: dict[tuple[int, ...], int] = {}
    for index, (model, name, frame) in enumerate(lines):
        sizes = sorted(int(p) for p in frame["params"].unique())
        drawn_sizes += sizes
        group = tuple(sizes)
        dodge = 1.0 + 0.05 * same_sizes.get(group, 0)  # series at the same sizes drawn side by side
        same_sizes[group] = same_sizes.get(group, 0) + 1
        label = f"{model} ({name})" if name else model
        if solving:  # the numbers behind each point, so that the figure can be read exactly
            at = ", ".join(f"{p} params {_solved_text(frame[frame['params'] == p])}" for p in sizes)
        else:
            at = f"{', '.join(map(str, sizes))} params"
        described.append(f"{label}: {at} (seeds {seed_range(frame['seed'].tolist())}, "
                         f"configurations {', '.join(dict.fromkeys(frame['variant']))})")
        first_of_model = index == 0 or lines[index - 1][0] != model
        tint = color(model, index) if first_of_model else SERIES_COLORS[index % len(SERIES_COLORS)]
        for ax, (key, ylabel) in zip(axes[0], metrics, strict=True):
            if key == "solved":
                points = [_solve_rate(frame[frame["params"] == p]) for p in sizes]
                means = np.array([p[0] for p in points])
                lows, highs = means - np.array([p[1] for p in points]), np.array([p[2] for p in points]) - means
                counts = sorted({p[4] for p in points})
            else:
                stats = [summarize(col(frame[frame["params"] == p], key), bounded=key == "test_accuracy")
                         for p in sizes]
                means = drawable([s.mean for s in stats])
                lows = drawable([s.mean - s.lo if s.n > 1 else 0 for s in stats])
                highs = drawable([s.hi - s.mean if s.n > 1 else 0 for s in stats])
                counts = sorted({s.n for s in stats})
            xs = [p * dodge for p in sizes]
            size_text = "/".join(f"{p:,}" for p in sizes)
            ax.errorbar(xs, means, yerr=[lows, highs], color=tint, marker=marker(model, "o"), capsize=3, lw=1.5,
                        label=f"{label} (n = {'/'.join(map(str, counts))}, {size_text} params)")
            if key != "solved":
                single = [i for i, s in enumerate(stats) if s.n == 1]  # no interval from one seed: drawn hollow
                if single:
                    ax.scatter([xs[i] for i in single], means[single], s=90, facecolors="white", edgecolors=tint,
                               zorder=4, label=f"{label}: n = 1 (no interval)")
            ax.set_ylabel(ylabel)
    if not drawn_sizes:
        plt.close(fig)
        return None
    for ax, (key, _) in zip(axes[0], metrics, strict=True):
        ax.set_xscale("log")
        _spaced_ticks(ax, drawn_sizes)
        ax.set_xlabel("trainable parameters (count, log scale)")
        if key == "test_mse":
            ax.set_yscale("log")
        if key == "test_r2":  # the "fewer parameters" claim decides at R² ≥ R2_TARGET
            ax.axhline(R2_TARGET, color="#555555", ls="--", lw=1, label=f"claim threshold R² = {R2_TARGET}")
        if key == "solved":  # the one-neuron XOR claim decides on the Wilson bounds against SOLVE_RATE
            ax.set_ylim(-0.03, 1.03)
            ax.axhline(SOLVE_RATE, color="#555555", ls="--", lw=1,
                       label=f"claim threshold: solved on {SOLVE_RATE:.0%} of seeds")
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    what = "share of seeds solved, Wilson 95% CI" if solving else "mean, 95% CI over seeds"
    fig.suptitle(f"{_dataset_label(dataset)}: quality against parameter count ({what})", x=0.01, ha="left")
    path = save(fig, ctx.out_dir / f"param_budget_{dataset}.png")
    caption = ("Each point is one configuration (one model size), over its seeds"
               + ("; a seed counts as solved when every test point is classified correctly" if solving else "")
               + "; series at the same sizes are drawn side by side"
               + (f"; dashed line: the one-neuron claim's threshold, solved on {SOLVE_RATE:.0%} of seeds" if solving
                  else f"; dashed line: the 'fewer parameters' claim's threshold R² = {R2_TARGET}" if regression
                  else "")
               + ". " + "; ".join(described) + ".")
    return Figure(path.stem, path, f"{_dataset_label(dataset)}: quality vs parameters", caption, "budget")
