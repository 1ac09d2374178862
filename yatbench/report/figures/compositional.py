"""The compositional toy: the true laws against each model's prediction, band by band."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from yatbench.core.narrow import seed_range
from yatbench.report.context import Context
from yatbench.report.figures.base import Figure, Section
from yatbench.report.rebuild import build_group, load_model, synthetic_splits
from yatbench.report.style import TRUTH_COLOR, color, pyplot, save
from yatbench.report.tables import col

SECTIONS = [Section("compositional", "Compositional toy", "Five linear laws z = a_k·x switched by a second "
                    "input y (a reconstruction of seeds/001).", rank=30)]


def median_seed(frame: pd.DataFrame, metric: str = "test_mse") -> int | None:
    """The seed whose ``metric`` is the median of its configuration (the lower middle one for even n)."""
    scored = frame[pd.to_numeric(col(frame, metric), errors="coerce").notna()]
    if scored.empty:
        return None
    ordered = scored.assign(_m=pd.to_numeric(scored[metric])).sort_values(["_m", "seed"])
    return int(ordered["seed"].iloc[(len(ordered) - 1) // 2])


def compositional_fits(ctx: Context) -> Figure | None:
    """z against x, one panel per slope band of y: the true law and each model's prediction at the band's centre.

    Each model is drawn at the seed whose test MSE is the median of its configuration (bold), its
    other seeds faintly, so that the picture is neither a lucky nor an unlucky seed.
    """
    models = ctx.models("compositional")
    if not models:
        return None
    plt = pyplot()
    fits: list[tuple[str, list[tuple[int, Any]], int, float, int, int]] = []  # model, nets, median, mse, params, n
    splits = dataset_cfg = None
    data_seed = None
    for model in models:
        frame = ctx.runs_of("compositional", model)
        middle = median_seed(frame)
        if middle is None:
            continue
        nets = []
        for _, run in frame.sort_values("seed").iterrows():
            config, facts = ctx.table.configs[run["run_id"]], ctx.table.facts(run["run_id"])
            try:
                nets.append((int(run["seed"]), load_model(ctx.table.run_dir(run["run_id"]), config, facts)))
            except ValueError as exc:
                ctx.skipped.append(f"compositional fit {run['run_id']}: {exc}")
                continue
            if splits is None and int(run["seed"]) == middle:
                try:
                    splits, dataset_cfg = synthetic_splits(config, facts), build_group(config, "dataset")
                    data_seed = middle
                except ValueError as exc:
                    ctx.skipped.append(f"compositional data {run['run_id']}: {exc}")
        if any(seed == middle for seed, _ in nets):
            mse = float(frame.loc[frame["seed"] == middle, "test_mse"].iloc[0])
            fits.append((model, nets, middle, mse, int(frame["params"].iloc[0]), len(frame)))
    if not fits or splits is None:
        return None
    return _draw(ctx, plt, fits, splits, dataset_cfg, data_seed)


def _draw(ctx: Context, plt: Any, fits: list, splits: Any, dataset_cfg: Any, data_seed: int) -> Figure:
    import torch

    slopes = list(dataset_cfg.slopes)
    bands = len(slopes)
    width = 5.0 / bands
    x_test = splits.x_test.numpy()
    z_test = splits.y_test.numpy()[:, 0]
    band_of = dataset_cfg.band(splits.x_test[:, 1]).numpy()
    xs = np.linspace(0, 5, 101)
    fig, axes = plt.subplots(1, bands, figsize=(2.9 * bands, 4.4), sharey=True, squeeze=False, layout="constrained")
    for k, ax in enumerate(axes[0]):
        centre = (k + 0.5) * width
        mask = band_of == k
        ax.scatter(x_test[mask, 0], z_test[mask], s=9, color="#999999", alpha=0.7,
                   label=f"test data of this band (seed {data_seed})", zorder=1)
        ax.plot(xs, slopes[k] * xs, color=TRUTH_COLOR, lw=2.4, label="truth z = a·x", zorder=2)
        inputs = torch.tensor(np.stack([xs, np.full_like(xs, centre)], 1), dtype=torch.float32)
        for index, (model, nets, middle, mse, params, n) in enumerate(fits):
            style = ("--", "-.", ":", (0, (5, 1)))[index % 4]
            for seed, net in nets:
                with torch.no_grad():
                    z = net(inputs)[:, 0].numpy()
                bold = seed == middle
                ax.plot(xs, z, color=color(model, index), lw=1.7 if bold else 0.7, alpha=1.0 if bold else 0.3,
                        ls=style if bold else "-", zorder=3 if bold else 2,
                        label=(f"{model} ({params} params): seed {middle}, the median test MSE {mse:.3g} of n = {n}"
                               if bold else None))
        ax.set_title(f"band {k + 1}: {k * width:g} ≤ y < {(k + 1) * width:g}\n"
                     f"a = {slopes[k]:g}, model at y = {centre:g}", fontsize=9.5)
        ax.set_xlabel("x (unitless)")
        if k == 0:
            ax.set_ylabel("z (unitless)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(2, len(labels)), frameon=False)
    picks = ", ".join(f"{m} seed {s}" for m, _, s, _, _, _ in fits)
    fig.suptitle(f"Compositional toy (seeds/001): z = a_k·x with the slope picked by y\neach model at the seed of "
                 f"median test MSE ({picks}; thin lines: its other seeds)", x=0.01, ha="left", fontsize=10.5)
    path = save(fig, ctx.out_dir / "compositional_fits.png")
    names = "; ".join(f"{m} ({p} params, configuration {ctx.runs_of('compositional', m)['variant'].iloc[0]}): "
                      f"seed {s} of seeds {seed_range([seed for seed, _ in nets])}, test MSE {mse:.3g}"
                      for m, nets, s, mse, p, _ in fits)
    caption = (f"Each panel is one band of y; the black line is the true law, the bold coloured lines each model's "
               f"prediction along x at the band's centre for the seed whose test MSE is the median of its "
               f"configuration (thin lines: the other seeds), grey dots the test points of that band (seed "
               f"{data_seed}). Models: {names}. The regenerated data are synthetic (the run's config and seed).")
    return Figure(path.stem, path, "Compositional toy: truth vs each model (median seed)", caption, "compositional")
