"""The report's figures, one function each; every one returns the :class:`Figure` it wrote, or None.

Figures that show trained models rebuild them from their run folders (see
:mod:`yatbench.report.rebuild`); the only data regenerated are the synthetic XOR corners and
compositional laws. The ⵟ response field and the softmax territories are pure math on
:func:`yatbench.nn.yat.yat_reference` and need no runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from yatbench.report.context import Context
from yatbench.report.load import as_text, show_value
from yatbench.report.measures import EPSILON, TERRITORY_TAUS, TERRITORY_WEIGHTS, territory_sharpness, yat_grid
from yatbench.report.rebuild import first_layer_weights, load_model, synthetic_splits
from yatbench.report.stats import summarize
from yatbench.report.style import MARKERS, TRUTH_COLOR, color, pyplot, save
from yatbench.report.tables import col, seed_range

SEED_FILES = {
    "000": "seeds/000_2e2688d488b2edba.txt",
    "001": "seeds/001_c53585d022a0faa0.txt",
    "002": "seeds/002_6db08b8fde399661.txt",
    "003": "seeds/003_2b1b29557db15d0e.txt",
    "004": "seeds/004_21ad28d0b4a0d97c.txt",
}
FIELD_CASES = (((1.0, 1.0), 0.0), ((-1.5, 0.5), 0.0), ((1.0, 1.0), 1.0))


@dataclass
class Figure:
    """A written figure: its file, a title and a caption that names the runs and seeds it shows."""

    name: str
    path: Path
    title: str
    caption: str
    section: str
    notes: list[str] = field(default_factory=list)


def _dataset_label(dataset: str) -> str:
    return {"xor": "XOR", "compositional": "compositional toy", "mnist": "MNIST",
            "fashion_mnist": "Fashion-MNIST", "inversion": "MNIST inversion"}.get(dataset, dataset)


# ---------------------------------------------------------------- decision regions (2-D classification)

def decision_regions(ctx: Context, dataset: str = "xor", max_seeds: int = 4) -> Figure | None:
    """Rows: models; columns: seeds. The model's P(class 1) over the plane, its 0.5 contour, the test points."""
    import torch

    models = ctx.models(dataset)
    if not models:
        return None
    plt = pyplot()
    seeds_per_model = {m: sorted(ctx.runs_of(dataset, m)["seed"].unique())[:max_seeds] for m in models}
    ncols = max(len(s) for s in seeds_per_model.values())
    fig, axes = plt.subplots(len(models), ncols, figsize=(2.6 * ncols + 1.4, 2.5 * len(models) + 0.8),
                             squeeze=False, sharex=True, sharey=True, layout="constrained")
    image = None
    shown: list[str] = []
    for row, model in enumerate(models):
        frame = ctx.runs_of(dataset, model)
        solved_all = int(col(frame, "solved").fillna(False).astype(bool).sum())
        for column in range(ncols):
            ax = axes[row, column]
            if column >= len(seeds_per_model[model]):
                ax.axis("off")
                continue
            seed = seeds_per_model[model][column]
            run = frame[frame["seed"] == seed].iloc[0]
            config = ctx.table.configs[run["run_id"]]
            try:
                model_nn = load_model(ctx.table.run_dir(run["folder"]), config)
                splits = synthetic_splits(config)
            except ValueError as exc:
                ctx.skipped.append(f"decision regions {run['run_id']}: {exc}")
                ax.axis("off")
                continue
            x, y = splits.x_test.numpy(), splits.y_test.numpy()
            lo, hi = float(x.min()) - 1.0, float(x.max()) + 1.0
            grid = np.linspace(lo, hi, 241)
            gx, gy = np.meshgrid(grid, grid)
            points = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)
            with torch.no_grad():
                out = model_nn(points)
            prob = (torch.sigmoid(out[:, 0]) if out.shape[1] == 1 else torch.softmax(out, 1)[:, 1]).numpy()
            prob = prob.reshape(gx.shape)
            image = ax.contourf(gx, gy, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", vmin=0, vmax=1)
            ax.contour(gx, gy, prob, levels=[0.5], colors="black", linewidths=1.2)
            for label, marker, face, edge in ((0, "o", "white", "black"), (1, "^", "black", "white")):
                mask = y == label
                ax.scatter(x[mask, 0], x[mask, 1], marker=marker, s=70 if len(x) <= 8 else 14, c=face,
                           edgecolors=edge, linewidths=1.0, zorder=3, label=f"class {label} (test point)")
            ok = bool(run.get("solved")) if not pd.isna(run.get("solved")) else False
            ax.set_title(f"{model} · seed {seed} · {'solved' if ok else 'not solved'}", fontsize=9.5,
                         color="black" if ok else "#b2182b")
            ax.set_aspect("equal")
            ax.grid(False)
            if column == 0:
                ax.set_ylabel(f"{model} ({int(run['params'])} params, {solved_all}/{len(frame)} solved)\n"
                              "x₂ (unitless)", fontsize=9)
            if row == len(models) - 1:
                ax.set_xlabel("x₁ (unitless)")
            shown.append(f"{model} s{seed}")
    if image is None:
        plt.close(fig)
        return None
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper right", ncol=2, frameon=False)
    bar = fig.colorbar(image, ax=axes, shrink=0.5)
    bar.set_label("model's P(class 1)")
    fig.suptitle(f"{_dataset_label(dataset)}: decision regions (black line: P = 0.5)", x=0.01, ha="left")
    path = save(fig, ctx.out_dir / f"decision_regions_{dataset}.png")
    caption = (f"Decision regions of each model on {_dataset_label(dataset)} (test points shown), one column per "
               f"seed. Runs: {', '.join(shown)}; the row label gives the success count over all seeds of that "
               "configuration.")
    return Figure(path.stem, path, f"{_dataset_label(dataset)} decision regions", caption, "xor")


# ---------------------------------------------------------------- pure math: the ⵟ field and territories

def response_field(ctx: Context) -> Figure:
    """log₁₀ ⵟ(w, x) over the plane for three (w, b): the peak at x ≈ w and the zero set w·x + b = 0."""
    plt = pyplot()
    import torch

    from yatbench.nn.yat import yat_reference

    fig, axes = plt.subplots(1, len(FIELD_CASES), figsize=(4.1 * len(FIELD_CASES), 4.3), squeeze=False,
                             layout="constrained")
    image = None
    for ax, (w, b) in zip(axes[0], FIELD_CASES, strict=True):
        _, _, scores = yat_grid([w], [b])
        field_ = np.log10(np.maximum(scores[..., 0], 1e-4))
        image = ax.imshow(field_, extent=(-3, 3, -3, 3), origin="lower", cmap="viridis", vmin=-3, vmax=3)
        norm2 = w[0] ** 2 + w[1] ** 2
        # the zero set w·x + b = 0 (a line), and the weight vector itself
        t = np.linspace(-6, 6, 2)
        px, py = -b * w[0] / norm2, -b * w[1] / norm2
        ax.plot(px - w[1] * t, py + w[0] * t, "--", color="white", lw=1.2, label="ⵟ = 0: w·x + b = 0")
        if b != 0:
            ax.plot(-w[1] * t, w[0] * t, ":", color="#F0E442", lw=1.4, label="x ⊥ w (here ⵟ > 0)")
        ax.plot(*w, marker="*", ms=15, color="#D55E00", mec="white", ls="none", label="w")
        at_w = torch.tensor([w], dtype=torch.float64)
        peak = float(yat_reference(at_w, at_w, torch.tensor([b], dtype=torch.float64), None, EPSILON)[0, 0])
        ax.set_xlim(-3, 3)
        ax.set_ylim(-3, 3)
        ax.grid(False)
        ax.set_title(f"w = ({w[0]:g}, {w[1]:g}), b = {b:g}\nat x = w: ⵟ = (‖w‖² + b)²/ε = {peak:.3g}", fontsize=10)
        ax.set_xlabel("x₁ (unitless)")
        ax.set_ylabel("x₂ (unitless)")
        ax.legend(loc="lower left", fontsize=8, framealpha=0.85)
    bar = fig.colorbar(image, ax=axes, shrink=0.85, extend="both")
    bar.set_label("log₁₀ ⵟ(w, x)  (ⵟ unitless; clipped to [10⁻³, 10³])")
    fig.suptitle("One Yat neuron: ⵟ(w, x) = (w·x + b)² / (‖w − x‖² + ε), ε = 10⁻⁵", x=0.01, ha="left")
    path = save(fig, ctx.out_dir / "yat_response_field.png")
    caption = ("Response of a single Yat neuron over the plane (computed from the formula, no runs), log colour "
               "scale clipped at 10³ so the plane stays readable. It peaks in a spike of width ~√ε at x ≈ w "
               "(height ‖w‖⁴/ε + ‖w‖² when b = 0) and is zero exactly on the line "
               "w·x + b = 0. With a bias (right panel, the nmn default keeps b inside the square) the zero set "
               "moves off the origin and inputs orthogonal to w no longer give 0 (seeds/000 states "
               "ⵟ = 0 iff w ⊥ x, which holds only for b = 0).")
    return Figure(path.stem, path, "ⵟ response field of one neuron", caption, "yat")


def territories(ctx: Context) -> Figure:
    """softmax(ⵟᵢ/τ) of four neurons over the plane at τ = 0.1, 1, 10: each point coloured by the mixture."""
    from matplotlib.colors import to_rgb
    from matplotlib.lines import Line2D

    plt = pyplot()
    weights = list(TERRITORY_WEIGHTS)
    palette = np.array([to_rgb(c) for c in ("#0072B2", "#E69F00", "#009E73", "#CC79A7")])
    gx, gy, scores = yat_grid(weights, [0.0] * len(weights), steps=301)
    sharp = territory_sharpness()
    fig, axes = plt.subplots(1, len(TERRITORY_TAUS), figsize=(4.0 * len(TERRITORY_TAUS), 4.6), squeeze=False,
                             layout="constrained")
    for ax, tau in zip(axes[0], TERRITORY_TAUS, strict=True):
        logits = scores / tau
        logits = logits - logits.max(-1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(-1, keepdims=True)
        rgb = probs @ palette
        ax.imshow(rgb, extent=(-3, 3, -3, 3), origin="lower")
        winner = probs.argmax(-1)
        ax.contour(gx, gy, winner, levels=np.arange(len(weights)) + 0.5, colors="white", linewidths=0.6)
        for index, (wx, wy) in enumerate(weights):
            ax.plot(wx, wy, marker="*", ms=15, color="white", mec="black", mew=1.0, ls="none")
            ax.annotate(f"w{index + 1}", (wx, wy), textcoords="offset points", xytext=(6, 6), fontsize=9,
                        color="black", bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.7, "lw": 0})
        ax.grid(False)
        ax.set_title(f"τ = {tau:g}: mean max P = {sharp[tau]:.2f}", fontsize=10)
        ax.set_xlabel("x₁ (unitless)")
        ax.set_ylabel("x₂ (unitless)")
    handles = [Line2D([], [], marker="s", ls="none", ms=9, color=palette[i], label=f"neuron {i + 1} (weight w{i + 1})")
               for i in range(len(weights))]
    handles.append(Line2D([], [], marker="*", ls="none", ms=12, color="white", mec="black", label="weight vector"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)
    fig.suptitle("Softmax territories of four Yat neurons, P_i = softmax(ⵟ(w_i, x)/τ), b = 0, ε = 10⁻⁵",
                 x=0.01, ha="left")
    path = save(fig, ctx.out_dir / "yat_territories.png")
    caption = ("Each point of the plane coloured by the softmax mixture of four Yat neurons' colours (pure colour = "
               "one neuron takes all; blended = shared); white lines separate the argmax territories (seeds/000). "
               "'mean max P' is the winning probability averaged over the plane: lower τ gives harder "
               "territories. Computed from the formula; no runs.")
    return Figure(path.stem, path, "Softmax territories at τ = 0.1, 1, 10", caption, "yat")


# ---------------------------------------------------------------- compositional

def compositional_fits(ctx: Context) -> Figure | None:
    """z against x, one panel per slope band of y: the true law and each model's prediction at the band's centre."""
    import torch

    models = ctx.models("compositional")
    if not models:
        return None
    seeds = [set(ctx.runs_of("compositional", m)["seed"]) for m in models]
    common = sorted(set.intersection(*seeds)) or sorted(set.union(*seeds))
    seed = common[0]
    plt = pyplot()
    predictions: list[tuple[str, Any, float, int]] = []
    splits = None
    dataset_cfg = None
    for model in models:
        frame = ctx.runs_of("compositional", model)
        frame = frame[frame["seed"] == seed]
        if frame.empty:
            continue
        run = frame.iloc[0]
        config = ctx.table.configs[run["run_id"]]
        try:
            predictions.append((model, load_model(ctx.table.run_dir(run["folder"]), config),
                                float(run.get("test_mse", math.nan)), int(run["params"])))
        except ValueError as exc:
            ctx.skipped.append(f"compositional fit {run['run_id']}: {exc}")
            continue
        if splits is None:
            from yatbench.report.rebuild import dataset_config

            splits, dataset_cfg = synthetic_splits(config), dataset_config(config)
    if not predictions or splits is None:
        return None
    slopes = list(dataset_cfg.slopes)
    bands = len(slopes)
    width = 5.0 / bands
    x_test = splits.x_test.numpy()
    z_test = splits.y_test.numpy()[:, 0]
    band_of = dataset_cfg.band(splits.x_test[:, 1]).numpy()
    xs = np.linspace(0, 5, 101)
    fig, axes = plt.subplots(1, bands, figsize=(2.9 * bands, 4.2), sharey=True, squeeze=False, layout="constrained")
    for k, ax in enumerate(axes[0]):
        centre = (k + 0.5) * width
        mask = band_of == k
        ax.scatter(x_test[mask, 0], z_test[mask], s=9, color="#999999", alpha=0.7, label="test data (this band)",
                   zorder=1)
        ax.plot(xs, slopes[k] * xs, color=TRUTH_COLOR, lw=2.4, label="truth z = a·x", zorder=2)
        inputs = torch.tensor(np.stack([xs, np.full_like(xs, centre)], 1), dtype=torch.float32)
        for index, (model, net, mse, params) in enumerate(predictions):
            with torch.no_grad():
                z = net(inputs)[:, 0].numpy()
            ax.plot(xs, z, color=color(model, index), lw=1.6, ls=("--", "-.", ":", (0, (5, 1)))[index % 4],
                    label=f"{model} ({params} params, test MSE {mse:.3g})", zorder=3)
        ax.set_title(f"band {k + 1}: {k * width:g} ≤ y < {(k + 1) * width:g}\n"
                     f"a = {slopes[k]:g}, model at y = {centre:g}", fontsize=9.5)
        ax.set_xlabel("x (unitless)")
        if k == 0:
            ax.set_ylabel("z (unitless)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(3, len(labels)), frameon=False)
    fig.suptitle(f"Compositional toy (seeds/001): z = a_k·x with the slope picked by y — seed {seed}",
                 x=0.01, ha="left")
    path = save(fig, ctx.out_dir / "compositional_fits.png")
    names = ", ".join(f"{m} ({p} params)" for m, _, _, p in predictions)
    caption = (f"Each panel is one band of y; the black line is the true law, the coloured lines each model's "
               f"prediction along x at the band's centre, grey dots the test points of that band. Seed {seed}; "
               f"models: {names}. The regenerated data are synthetic (the run's config and seed).")
    return Figure(path.stem, path, "Compositional toy: truth vs each model", caption, "compositional")


# ---------------------------------------------------------------- MNIST prototypes and inversion

def _image_dataset(ctx: Context) -> str | None:
    for dataset in ("mnist", "inversion", "fashion_mnist"):
        if ctx.models(dataset):
            return dataset
    return None


def prototypes(ctx: Context) -> Figure | None:
    """Rows: the Yat classifier's prototypes, the linear classifier's weights, the ReLU net's first layer."""
    dataset, yat = None, None
    for name in ("mnist", "inversion", "fashion_mnist"):
        found = ctx.prototype_runs(name)
        if not found.empty:
            dataset, yat = name, found
            break
    if dataset is None:
        dataset = _image_dataset(ctx)
        if dataset is None:
            return None
        yat = ctx.runs_of(dataset, "yat")
    is_proto = {"yat": yat is not None and not yat.empty and "model.readout" in yat.columns
                and (yat["model.readout"] == "none").all(), "linear": True}
    arms = {"yat": yat}
    for model in ("linear", "relu"):
        alike = ctx.same_setting(dataset, model, yat) if yat is not None and not yat.empty else None
        arms[model] = alike if alike is not None and not alike.empty else ctx.runs_of(dataset, model)
    rows: list[tuple[str, Any, int, int]] = []
    for model, frame in arms.items():
        if frame is None or frame.empty:
            continue
        run = frame.sort_values("seed").iloc[0]
        try:
            weights = first_layer_weights(ctx.table.run_dir(run["folder"]), ctx.table.configs[run["run_id"]])
        except ValueError as exc:
            ctx.skipped.append(f"prototypes {run['run_id']}: {exc}")
            continue
        if weights.shape[-1] != 784:
            continue
        rows.append((model, weights[:10].numpy(), int(run["seed"]), int(run["params"])))
    if not rows:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(len(rows), 10, figsize=(13, 1.55 * len(rows) + 0.9), squeeze=False)
    what = {"yat": "Yat prototype classifier: one neuron per digit" if is_proto["yat"]
            else "Yat net: first 10 units of its first Yat layer",
            "linear": "linear classifier: one weight row per digit", "relu": "ReLU net: first 10 hidden units"}
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
            image = weights[c].reshape(28, 28)
            limit = float(np.abs(image).max()) or 1.0
            ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
            per_class = is_proto.get(model, False)
            ax.set_title(f"digit {c}" if per_class else f"unit {c}", fontsize=8.5)
            if c == 0:
                ax.set_ylabel(f"{model}\n{params:,} params\nseed {seed}", fontsize=9, rotation=0, ha="right",
                              va="center", labelpad=8)
        axes[r, 0].annotate(what[model], (0, 1.35), xycoords="axes fraction", fontsize=9.5, weight="bold")
    fig.suptitle(f"{_dataset_label(dataset)}: first-layer weights as 28×28 images "
                 "(red > 0, blue < 0, white = 0; each image scaled to its own max |w|)", x=0.02, ha="left")
    fig.subplots_adjust(hspace=0.75, wspace=0.08, top=1 - 0.9 / (1.55 * len(rows) + 0.9), left=0.09)
    path = save(fig, ctx.out_dir / "mnist_prototypes.png")
    caption = (f"What each model learned on {_dataset_label(dataset)} (seeds/002): "
               + ("the Yat prototype classifier's 10 weight vectors" if is_proto["yat"] else
                  "the first 10 first-layer units of the Yat net (no prototype-classifier runs: "
                  "`yatbench sweep paper` adds them)")
               + " beside the linear classifier's 10 weight rows and the first 10 hidden units of the ReLU net, "
               "trained alike. Runs: " + ", ".join(f"{m} seed {s} ({p:,} params)" for m, _, s, p in rows) + ".")
    return Figure(path.stem, path, "Prototypes and weights as images", caption, "mnist")


def inversion_bars(ctx: Context) -> Figure | None:
    """Accuracy on clean, 1 − x, −x and w → −w per model: mean with 95% interval, one dot per seed."""
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
            s = summarize(values)
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
               "and negated first-layer weights (w → −w). " + "; ".join(seeds_text) + ".")
    return Figure(path.stem, path, "Inversion accuracies", caption, "mnist")


# ---------------------------------------------------------------- learning curves and parameter budgets

def _history(ctx: Context, folder: str) -> pd.DataFrame | None:
    path = ctx.table.run_dir(folder) / "history.csv"
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError):
        ctx.skipped.append(f"learning curve {folder}: history.csv unreadable")
        return None
    return frame if "epoch" in frame.columns else None


def learning_curves(ctx: Context, dataset: str) -> Figure | None:
    """Train loss and the test headline metric against epochs: mean over seeds, band = min–max."""
    models = ctx.models(dataset)
    if not models:
        return None
    regression = (col(ctx.runs_of(dataset), "task") == "regression").any()
    metric, label = ("test_mse", "test MSE (z², log scale)") if regression else ("test_accuracy",
                                                                                 "test accuracy (fraction)")
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
                    label=f"{model} (n = {stacked.shape[1]})")
            if stacked.shape[1] > 1 and not (key == metric and solved_curve):
                ax.fill_between(mean.index, stacked.min(axis=1), stacked.max(axis=1), color=color(model, index),
                                alpha=0.18, lw=0)
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
    fig.suptitle(f"{_dataset_label(dataset)}: learning curves (line: mean over seeds, band: min–max)",
                 x=0.01, ha="left")
    path = save(fig, ctx.out_dir / f"learning_curves_{dataset}.png")
    caption = f"Per-epoch history of the compared configuration of each model: {', '.join(used)}."
    return Figure(path.stem, path, f"{_dataset_label(dataset)} learning curves", caption, "curves")


def _budget_points(ctx: Context, dataset: str, model: str) -> pd.DataFrame:
    """Variants of one model that share the main variant's dataset and trainer settings, with their params."""
    runs = ctx.table.runs
    frame = runs[(runs["dataset"] == dataset) & (runs["model"] == model) & (runs["status"] == "ok")]
    main = frame[frame["variant_label"] == ctx.variants.get((dataset, model))]
    if main.empty:
        return frame.iloc[0:0]
    shared = [c for c in frame.columns if c.startswith(("dataset.", "trainer."))
              and c not in ("trainer.progress", "trainer.seed_batching")]
    reference = main.iloc[0]
    keep = pd.Series(True, index=frame.index)
    for c in shared:
        keep &= as_text(frame[c]) == show_value(reference[c])
    return frame[keep]


def budget_datasets(ctx: Context) -> list[str]:
    """Datasets where some model was run at two or more parameter counts (a param_budget sweep)."""
    runs = ctx.table.runs
    if runs.empty:
        return []
    out = []
    for dataset in dict.fromkeys(runs["dataset"]):
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
            stats = [summarize(col(frame[frame["params"] == p], key)) for p in sizes]
            means = np.array([s.mean for s in stats])
            lows = np.array([s.mean - s.lo if s.n > 1 else 0 for s in stats])
            highs = np.array([s.hi - s.mean if s.n > 1 else 0 for s in stats])
            ax.errorbar(sizes, means, yerr=[lows, highs], color=color(model, index), marker=MARKERS.get(model, "o"),
                        capsize=3, lw=1.5, label=model)
            ax.set_ylabel(label)
    for ax, (key, _) in zip(axes[0], metrics, strict=True):
        ax.set_xscale("log")
        ax.set_xlabel("trainable parameters (count, log scale)")
        if key == "test_mse":
            ax.set_yscale("log")
        ax.legend(fontsize=8.5)
    fig.suptitle(f"{_dataset_label(dataset)}: quality against parameter count (mean, 95% CI over seeds)",
                 x=0.01, ha="left")
    path = save(fig, ctx.out_dir / f"param_budget_{dataset}.png")
    caption = "Each point is one model size, averaged over seeds. " + "; ".join(described) + "."
    return Figure(path.stem, path, f"{_dataset_label(dataset)}: quality vs parameters", caption, "budget")


def all_figures(ctx: Context) -> list[Figure]:
    """Every figure the runs (and the formula) allow, in page order."""
    makers: list[Any] = [lambda: decision_regions(ctx, "xor"), lambda: response_field(ctx),
                         lambda: territories(ctx), lambda: compositional_fits(ctx),
                         lambda: prototypes(ctx), lambda: inversion_bars(ctx)]
    runs = ctx.table.runs
    for dataset in (list(dict.fromkeys(runs["dataset"])) if not runs.empty else []):
        makers.append(lambda d=dataset: learning_curves(ctx, d))
    for dataset in budget_datasets(ctx):
        makers.append(lambda d=dataset: param_budget(ctx, d))
    figures = []
    for make in makers:
        figure = make()
        if figure is not None:
            figures.append(figure)
    return figures
