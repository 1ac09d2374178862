"""The compositional toy: the true laws against each model's prediction, band by band."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from yatbench.report.context import Context
from yatbench.report.figures.base import Figure
from yatbench.report.rebuild import build_group, load_model, synthetic_splits
from yatbench.report.style import TRUTH_COLOR, color, pyplot, save


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
        config, facts = ctx.table.configs[run["run_id"]], ctx.table.facts(run["run_id"])
        try:
            predictions.append((model, load_model(ctx.table.run_dir(run["run_id"]), config, facts),
                                float(run.get("test_mse", math.nan)), int(run["params"])))
        except ValueError as exc:
            ctx.skipped.append(f"compositional fit {run['run_id']}: {exc}")
            continue
        if splits is None:
            try:
                splits, dataset_cfg = synthetic_splits(config, facts), build_group(config, "dataset")
            except ValueError as exc:
                ctx.skipped.append(f"compositional data {run['run_id']}: {exc}")
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
