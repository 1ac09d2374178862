"""Image-classifier figures: the prototypes as images, and accuracies under inversion."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from yatbench.core.narrow import seed_range
from yatbench.report.claims.prototypes import prototype_arms
from yatbench.report.context import Context
from yatbench.report.figures.base import Figure, Section
from yatbench.report.figures.base import dataset_label as _dataset_label
from yatbench.report.rebuild import first_layer_weights
from yatbench.report.stats import summarize
from yatbench.report.style import color, pyplot, save
from yatbench.report.tables import col

SECTIONS = [Section("mnist", "MNIST: prototypes and inversion", "What the classifiers learn, and how they read "
                    "inverted digits (seeds/002).", rank=40, tables=("inversion",))]

MAX_PROTOTYPE_FIGURES = 6


def prototypes(ctx: Context) -> list[Figure]:
    """Per setting (preprocessing, budget): the Yat prototype classifier, its ablation kernels and the
    linear classifier trained alike, one weight row per class drawn as an image."""
    figures = []
    for index, (yat, linear) in enumerate(prototype_arms(ctx)[:MAX_PROTOTYPE_FIGURES]):
        controls = ctx.ablations(yat, "model.kernel")
        arms = {"yat": yat, **{f"yat ({kernel})": frame for kernel, frame in controls.items() if kernel != "yat"},
                "linear": linear}
        figure = _prototype_figure(ctx, arms, index)
        if figure is not None:
            figures.append(figure)
    return figures


def _class_means(ctx: Context, run_id: str, classes: int, features: int) -> tuple[np.ndarray | None, str]:
    """The class means a run saved (``class_means`` artifact), or None and the reason it is not drawn."""
    path = ctx.table.artifact(run_id, "class_means")
    if path is None:
        return None, (f"run {run_id} saved no class means (written by an older yatbench): the row of class-mean "
                      "images is left out; rerun it with --force to get it")
    try:
        means = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        return None, f"class means of {run_id} do not load ({exc.__class__.__name__}): row left out"
    if means.shape != (classes, features) or not np.isfinite(means).all():
        return None, f"class means of {run_id} have shape {means.shape}, not ({classes}, {features}): row left out"
    return means, ""


def _blank(ax: Any) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)


def _configuration(ctx: Context, frame: pd.DataFrame) -> str:
    """``20 epochs of adam lr 0.001, batch 64`` from the run's recorded config."""
    run = frame.iloc[0]
    config = ctx.table.configs[run["run_id"]].get("trainer", {})
    batch = config.get("batch_size") or "full"
    return (f"{config.get('epochs', '?')} epochs of {config.get('optimizer', '?')} lr {config.get('lr', '?')}, "
            f"batch {batch}")


def _prototype_figure(ctx: Context, arms: dict[str, pd.DataFrame], index: int) -> Figure | None:
    """One row per model (its lowest seed's weight rows), under a row of the class means the Yat run saved."""
    rows: list[tuple[str, Any, int, int, str, str]] = []  # model, weights, seed, params, seeds, seedless key
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
        rows.append((model, weights[:10].numpy(), int(run["seed"]), int(run["params"]),
                     seed_range(frame["seed"].tolist()), str(run["variant"])))
    if not rows or shape is None:
        return None
    first = next(f for f in arms.values() if not f.empty)
    first_run = first.sort_values("seed").iloc[0]
    dataset, setting = str(first["dataset"].iloc[0]), str(first["variant_label"].iloc[0])
    facts = ctx.table.facts(first_run["run_id"])
    preprocess, classes = facts.preprocess, min(facts.out_features, 10)
    means, why_not = _class_means(ctx, first_run["run_id"], facts.out_features, facts.in_features)
    notes = [why_not] if why_not else []
    top = 1 if means is not None else 0
    plt = pyplot()
    height = 1.55 * (len(rows) + top) + 1.5
    fig, axes = plt.subplots(len(rows) + top, 10, figsize=(13, height), squeeze=False)
    what = {"yat": "Yat prototype classifier (kernel yat): one neuron per class",
            "yat (square)": "ablation: the square alone, α(w·x + b)², one neuron per class",
            "yat (distance)": "ablation: the inverse distance alone, α/(‖w − x‖² + ε), one neuron per class",
            "linear": "linear classifier: one weight row per class"}
    drawn = [(f"class mean\n(training images,\n{preprocess})", means[:classes], None, None)] \
        if means is not None else []
    drawn += [(f"{model}\n{params:,} params\nseed {seed}", weights, model, params)
              for model, weights, seed, params, _, _ in rows]
    for r, (label, images, model, _) in enumerate(drawn):
        for c in range(10):
            ax = axes[r, c]
            _blank(ax)
            if c >= len(images):
                continue
            image = images[c].reshape(*shape)
            if model is None:  # a class mean: grey scale over its own range, ink dark
                ax.imshow(image, cmap="gray_r", vmin=float(image.min()), vmax=float(image.max()))
            else:
                limit = float(np.abs(image).max()) or 1.0
                ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(f"class {c}", fontsize=8.5)
            if c == 0:
                ax.set_ylabel(label, fontsize=9, rotation=0, ha="right", va="center", labelpad=8)
        heading = (f"mean training image of each class as the models saw it (preprocessing {preprocess}; "
                   "grey scale, dark = high)" if model is None else what.get(model, model))
        axes[r, 0].annotate(heading, (0, 1.35), xycoords="axes fraction", fontsize=9.5, weight="bold")
    picks = {(s, many) for _, _, s, _, many, _ in rows}
    seeds = (f"seed {rows[0][2]} of seeds {rows[0][4]} of each configuration" if len(picks) == 1 else
             "; ".join(f"{m}: seed {s} of {many}" for m, _, s, _, many, _ in rows))
    keys = ", ".join(f"{m} {key.rsplit('-', 1)[-1]}" for m, _, _, _, _, key in rows)
    fig.suptitle(f"{_dataset_label(dataset)}, preprocessing {preprocess}, {_configuration(ctx, first)}: "
                 f"weights as images\n{seeds} (seedless keys: {keys})\n"
                 "red > 0, blue < 0, white = 0; each image scaled to its own max |w|", x=0.02, ha="left",
                 fontsize=10)
    fig.subplots_adjust(hspace=0.75, wspace=0.08, top=1 - 1.5 / height, left=0.09)
    path = save(fig, ctx.out_dir / f"prototypes_{dataset}_{index + 1}.png")
    shown = ", ".join(f"{m} seed {s} of seeds {many} ({p:,} params, configuration `{key}`)"
                      for m, _, s, p, many, key in rows)
    caption = (f"What each one-layer classifier learned on {_dataset_label(dataset)} (seeds/002), preprocessing "
               f"{preprocess}, {_configuration(ctx, first)}{'; ' + setting if setting else ''}: one weight row per "
               f"class, trained alike, the lowest seed of each configuration. Runs: {shown}."
               + (f" Top row: the mean training image of each class under the same preprocessing, saved by run "
                  f"{first_run['run_id']}." if means is not None else f" {why_not}."))
    return Figure(path.stem, path, f"Prototypes as images ({preprocess})", caption, "mnist", notes)


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
        seeds_text.append(f"{model}: configuration `{frame['variant'].iloc[0]}`, "
                          f"seeds {seed_range(frame['seed'].tolist())}")
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


