"""Image-classifier figures: the prototypes as images, and accuracies under inversion."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from yatbench.report.claims.prototypes import prototype_arms
from yatbench.report.context import Context
from yatbench.report.figures.base import Figure
from yatbench.report.figures.base import dataset_label as _dataset_label
from yatbench.report.rebuild import first_layer_weights
from yatbench.report.stats import summarize
from yatbench.report.style import color, pyplot, save
from yatbench.report.tables import col, seed_range

MAX_PROTOTYPE_FIGURES = 6


def prototypes(ctx: Context) -> list[Figure]:
    """Per setting (preprocessing, budget): the Yat prototype classifier, its ablation kernels and the
    linear classifier trained alike, one weight row per class drawn as an image."""
    figures = []
    for index, (yat, linear) in enumerate(prototype_arms(ctx)[:MAX_PROTOTYPE_FIGURES]):
        arms = {f"yat ({kernel})" if kernel != "yat" else "yat": frame
                for kernel, frame in ctx.ablations(yat, "model.kernel").items()} or {"yat": yat}
        arms["linear"] = linear
        figure = _prototype_figure(ctx, arms, index)
        if figure is not None:
            figures.append(figure)
    return figures


def _prototype_figure(ctx: Context, arms: dict[str, pd.DataFrame], index: int) -> Figure | None:
    rows: list[tuple[str, Any, int, int]] = []
    shape = None
    for model, frame in arms.items():
        frame = frame[frame["status"] == "ok"] if not frame.empty else frame
        if frame.empty:
            continue
        run = frame.sort_values("seed").iloc[0]
        facts = ctx.table.facts(run["run_id"])
        try:
            weights = first_layer_weights(ctx.table.run_dir(run["run_id"]), ctx.table.configs[run["run_id"]], facts)
        except ValueError as exc:
            ctx.skipped.append(f"prototypes {run['run_id']}: {exc}")
            continue
        shape = facts.image_shape
        rows.append((model, weights[:10].numpy(), int(run["seed"]), int(run["params"])))
    if not rows or shape is None:
        return None
    first = next(iter(arms.values()))
    dataset, setting = str(first["dataset"].iloc[0]), str(first["variant_label"].iloc[0])
    preprocess = ctx.table.facts(first["run_id"].iloc[0]).preprocess
    plt = pyplot()
    fig, axes = plt.subplots(len(rows), 10, figsize=(13, 1.55 * len(rows) + 0.9), squeeze=False)
    what = {"yat": "Yat prototype classifier (kernel yat): one neuron per class",
            "yat (square)": "ablation: the square alone, α(w·x + b)², one neuron per class",
            "yat (distance)": "ablation: the inverse distance alone, α/(‖w − x‖² + ε), one neuron per class",
            "linear": "linear classifier: one weight row per class"}
    for r, (model, weights, seed, params) in enumerate(rows):
        for c in range(10):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(False)
            if c >= len(weights):
                continue
            image = weights[c].reshape(*shape)
            limit = float(np.abs(image).max()) or 1.0
            ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(f"class {c}", fontsize=8.5)
            if c == 0:
                ax.set_ylabel(f"{model}\n{params:,} params\nseed {seed}", fontsize=9, rotation=0, ha="right",
                              va="center", labelpad=8)
        axes[r, 0].annotate(what.get(model, model), (0, 1.35), xycoords="axes fraction", fontsize=9.5, weight="bold")
    fig.suptitle(f"{_dataset_label(dataset)}, preprocessing {preprocess}: weights as images "
                 "(red > 0, blue < 0, white = 0; each image scaled to its own max |w|)", x=0.02, ha="left")
    fig.subplots_adjust(hspace=0.75, wspace=0.08, top=1 - 0.9 / (1.55 * len(rows) + 0.9), left=0.09)
    path = save(fig, ctx.out_dir / f"prototypes_{dataset}_{index + 1}.png")
    caption = (f"What each one-layer classifier learned on {_dataset_label(dataset)} (seeds/002), preprocessing "
               f"{preprocess}{'; ' + setting if setting else ''}: one weight row per class, trained alike. Runs: "
               + ", ".join(f"{m} seed {s} ({p:,} params)" for m, _, s, p in rows) + ".")
    return Figure(path.stem, path, f"Prototypes as images ({preprocess})", caption, "mnist")


def inversion_bars(ctx: Context) -> Figure | None:
    """Accuracy on clean, 1 − x and −x per model: mean with 95% interval, one dot per seed."""
    from yatbench.report.tables import INVERSIONS

    models = ctx.models("inversion")
    if not models:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    width = 0.8 / len(models)
    seeds_text = []
    for index, model in enumerate(models):
        frame = ctx.runs_of("inversion", model)
        seeds_text.append(f"{model}: seeds {seed_range(frame['seed'].tolist())}")
        for position, (key, _) in enumerate(INVERSIONS):
            values = col(frame, f"{key}_accuracy").dropna().to_numpy(float)
            s = summarize(values, bounded=True)
            x = position + (index - (len(models) - 1) / 2) * width
            if s.n == 0:
                continue
            err = None if s.n < 2 else [[s.mean - s.lo], [s.hi - s.mean]]
            ax.bar(x, s.mean, width * 0.92, color=color(model, index), yerr=err, capsize=3,
                   label=model if position == 0 else None, edgecolor="black", linewidth=0.5)
            ax.scatter(np.full(len(values), x), values, s=10, color="black", zorder=3)
    ax.axhline(0.1, color="#D55E00", ls="--", lw=1.2, label="chance (0.10)")
    ax.set_xticks(range(len(INVERSIONS)), [f"{name}" for _, name in INVERSIONS])
    ax.set_xlabel("test condition")
    ax.set_ylabel("test accuracy (fraction)")
    ax.set_ylim(0, 1.05)
    ax.legend(ncol=len(models) + 1, loc="upper right", fontsize=8.5)
    ax.set_title("Inversion: accuracy of models trained on clean MNIST (bars: mean, whiskers: 95% CI, dots: seeds)",
                 fontsize=10)
    path = save(fig, ctx.out_dir / "inversion_accuracy.png")
    caption = ("Clean test accuracy and accuracy under pixel inversion (1 − x), sign inversion of centred inputs (−x) "
               "(w → −w is the same computation as −x and is not drawn twice). " + "; ".join(seeds_text) + ".")
    return Figure(path.stem, path, "Inversion accuracies", caption, "mnist")


