"""Decision regions of each model on 2-D classification data (XOR), drawn from the trained weights."""

from __future__ import annotations

import numpy as np
import pandas as pd

from yatbench.report.context import Context
from yatbench.report.figures.base import Figure, Section
from yatbench.report.figures.base import dataset_label as _dataset_label
from yatbench.report.rebuild import load_model, synthetic_splits
from yatbench.report.style import pyplot, save, short_label
from yatbench.report.tables import col

SECTIONS = [Section("xor", "XOR", "One Yat neuron against dot-product nets on the classic non-linearly-separable "
                    "problem (seeds/004).", rank=10, tables=("xor",))]

AXIS = "dataset.encoding"  # XOR's two encodings (±1 and {0, 1}) are drawn side by side, one figure each


def decision_regions(ctx: Context, dataset: str = "xor", max_seeds: int = 4) -> list[Figure]:
    """One figure for the drawn configuration of each model, and one per other encoding that was run."""
    drawn = {m: ctx.runs_of(dataset, m) for m in ctx.models(dataset)}
    figures = [_regions(ctx, dataset, drawn, max_seeds, "")]
    others: dict[str, dict[str, pd.DataFrame]] = {}
    for model, frame in drawn.items():
        here = str(frame[AXIS].iloc[0]) if AXIS in frame.columns and not frame.empty else None
        for value, other in ctx.ablations(frame, AXIS).items():
            other = other[other["status"] == "ok"]
            if value != here and not other.empty:
                others.setdefault(value, {})[model] = other
    for value, frames in others.items():
        figures.append(_regions(ctx, dataset, frames, max_seeds, value))
    return [f for f in figures if f is not None]


def _regions(ctx: Context, dataset: str, frames: dict[str, pd.DataFrame], max_seeds: int,
             variant: str) -> Figure | None:
    """Rows: models; columns: seeds. The model's P(class 1) over the plane, its 0.5 contour, the test points."""
    import torch

    models = [m for m, f in frames.items() if not f.empty]
    if not models:
        return None
    plt = pyplot()
    seeds_per_model = {m: sorted(frames[m]["seed"].unique())[:max_seeds] for m in models}
    ncols = max(len(s) for s in seeds_per_model.values())
    fig, axes = plt.subplots(len(models), ncols, figsize=(2.6 * ncols + 1.4, 2.5 * len(models) + 0.8),
                             squeeze=False, sharex=True, sharey=True, layout="constrained")
    image = None
    shown: list[str] = []
    for row, model in enumerate(models):
        frame = frames[model]
        solved_all = int(col(frame, "solved").fillna(False).astype(bool).sum())
        for column in range(ncols):
            ax = axes[row, column]
            if column >= len(seeds_per_model[model]):
                ax.axis("off")
                continue
            seed = seeds_per_model[model][column]
            run = frame[frame["seed"] == seed].iloc[0]
            config, facts = ctx.table.configs[run["run_id"]], ctx.table.facts(run["run_id"])
            try:
                model_nn = load_model(ctx.table.run_dir(run["run_id"]), config, facts)
                splits = synthetic_splits(config, facts)
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
                words = short_label(frame["variant_label"].iloc[0])
                ax.set_ylabel(f"{model}{' · ' + words if words else ''}\n({int(run['params'])} params, "
                              f"{solved_all}/{len(frame)} solved)\nx₂ (unitless)", fontsize=9)
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
    which = f" · {AXIS.split('.')[-1]}={variant}" if variant else ""
    fig.suptitle(f"{_dataset_label(dataset)}{which}: decision regions (black line: P = 0.5)", x=0.01, ha="left")
    path = save(fig, ctx.out_dir / f"decision_regions_{dataset}{'_' + variant if variant else ''}.png")
    configs = "; ".join(f"{m}: {frames[m]['variant_label'].iloc[0] or 'its only configuration'} "
                        f"(`{frames[m]['variant'].iloc[0]}`)" for m in models)
    caption = (f"Decision regions of each model on {_dataset_label(dataset)}{which} (test points shown), one column "
               f"per seed (the first {max_seeds}). Configurations: {configs}. Runs: {', '.join(shown)}; the row "
               "label gives the success count over all seeds of that configuration.")
    return Figure(path.stem, path, f"{_dataset_label(dataset)}{which} decision regions", caption, "xor")
