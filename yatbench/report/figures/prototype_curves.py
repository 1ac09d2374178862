"""Learning curves of the single-layer image classifiers, one panel per setting (preprocessing, budget).

The `paper` preset's question is whether its budget is long enough that neither side is still
improving. Each column is one setting of the Yat prototype classifier and the linear classifier
trained alike (:func:`yatbench.report.claims.prototypes.prototype_arms`), with the ablation kernels
where they were run: test accuracy against epoch, mean over seeds with a ±1 sd band; the lower row
zooms on the second half of training. Each legend entry gives n, the parameter count and the change
over the last epochs with its interval (:func:`yatbench.report.measures.late_change`).
"""

from __future__ import annotations

import pandas as pd

from yatbench.core.narrow import seed_range
from yatbench.report.claims.base import ok
from yatbench.report.claims.prototypes import prototype_arms
from yatbench.report.context import Context
from yatbench.report.figures.base import Figure
from yatbench.report.figures.base import dataset_label as _dataset_label
from yatbench.report.measures import PLATEAU_WINDOW, history_series, late_change
from yatbench.report.style import EXTRA_COLORS, color, pyplot, save
from yatbench.report.tables import params_text

MAX_PANELS = 4
STYLES = {"yat": ("-", color("yat")), "linear": ("-", color("linear")),
          "square": ("--", EXTRA_COLORS[0]), "distance": (":", EXTRA_COLORS[1])}


def _arms(ctx: Context, yat: pd.DataFrame, linear: pd.DataFrame) -> dict[str, pd.DataFrame]:
    controls = {k: ok(v) for k, v in ctx.ablations(yat, "model.kernel").items() if k != "yat"}
    arms = {"yat": ok(yat), "linear": ok(linear), **controls}
    return {name: frame for name, frame in arms.items() if not frame.empty}


def prototype_curves(ctx: Context) -> list[Figure]:
    """One figure per image dataset: a column per setting, test accuracy per epoch of every arm."""
    by_dataset: dict[str, list[tuple[pd.DataFrame, pd.DataFrame]]] = {}
    for yat, linear in prototype_arms(ctx):
        by_dataset.setdefault(str(yat["dataset"].iloc[0]), []).append((yat, linear))
    return [f for f in (_figure(ctx, d, arms[:MAX_PANELS], len(arms)) for d, arms in by_dataset.items()) if f]


def _figure(ctx: Context, dataset: str, settings: list[tuple[pd.DataFrame, pd.DataFrame]],
            total: int) -> Figure | None:
    plt = pyplot()
    fig, axes = plt.subplots(2, len(settings), figsize=(5.4 * len(settings) + 0.4, 9.0), squeeze=False,
                             layout="constrained", height_ratios=(1.3, 1))
    statements, drawn = [], False
    for column, (yat, linear) in enumerate(settings):
        facts = ctx.table.facts(yat["run_id"].iloc[0])
        trainer = ctx.table.configs[yat["run_id"].iloc[0]].get("trainer", {})
        where = f"preprocessing {facts.preprocess}"
        lows: list[float] = []
        highs: list[float] = []
        for name, frame in _arms(ctx, yat, linear).items():
            series = history_series(ctx, frame, "test_accuracy")
            if not series:
                continue
            stacked = pd.concat(series.values(), axis=1)
            mean, sd = stacked.mean(axis=1), stacked.std(axis=1, ddof=1).fillna(0.0)
            change = late_change(ctx, frame)
            style, tint = STYLES.get(name, ("-", EXTRA_COLORS[2]))
            label = (f"{name if name in ('yat', 'linear') else name + ' alone'} (n = {stacked.shape[1]}, "
                     f"{params_text(frame)} params)")
            if change is not None:
                label += f"\nlast {PLATEAU_WINDOW} ep.: {change.change.mean:+.4f} {change.change.fmt_ci(4)}"
                statements.append(f"{where}, {name}: {change.text()}")
            half = mean.index >= mean.index.max() / 2
            panels = [(axes[0, column], slice(None))] + ([(axes[1, column], half)] if name in ("yat", "linear") else [])
            for ax, keep in panels:
                ax.plot(mean.index[keep], mean.to_numpy()[keep], ls=style, color=tint, lw=1.7,
                        label=label if ax is axes[0, column] else None)
                ax.fill_between(mean.index[keep], (mean - sd)[keep], (mean + sd)[keep], color=tint, alpha=0.15, lw=0)
            if name in ("yat", "linear"):
                lows.append(float((mean - sd)[half].min()))
                highs.append(float((mean + sd)[half].max()))
            drawn = True
        top, zoom = axes[0, column], axes[1, column]
        top.set_title(f"{where}\n{trainer.get('epochs', '?')} epochs of {trainer.get('optimizer', '?')} "
                      f"lr {trainer.get('lr', '?')}, batch {trainer.get('batch_size') or 'full'}", fontsize=9.5)
        top.set_ylim(0, 1)
        top.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, frameon=False)
        zoom.set_title("zoom: yat and linear, second half of training", fontsize=9)
        if lows:
            zoom.set_ylim(min(lows) - 0.005, min(1.0, max(highs) + 0.01))
        for ax in (top, zoom):
            ax.set_xlabel("epoch")
            ax.set_ylabel("test accuracy (fraction)")
            ax.xaxis.get_major_locator().set_params(integer=True)
    if not drawn:
        plt.close(fig)
        return None
    fig.suptitle(f"{_dataset_label(dataset)}: test accuracy per epoch of the one-layer classifiers "
                 "(line: mean over seeds, band: ±1 sd)", x=0.01, ha="left")
    path = save(fig, ctx.out_dir / f"learning_curves_prototypes_{dataset}.png")
    seeds = "; ".join(f"{r['variant_label'].iloc[0] or 'yat'}: seeds {seed_range(r['seed'].tolist())}"
                      for r, _ in settings)
    more = f" ({total - len(settings)} further settings not drawn)" if total > len(settings) else ""
    caption = (f"Test accuracy per epoch of the Yat prototype classifier, its ablation kernels and the linear "
               f"classifier trained alike, one column per setting{more}; line = mean over seeds, band = ±1 sample "
               f"sd; the lower row zooms on yat and linear in the second half of training. Yat seeds: {seeds}. "
               f"Still improving? The change of test accuracy over the last {PLATEAU_WINDOW} epochs per seed, mean "
               "and Student t 95% CI ('still improving' when the CI lies above 0): "
               + "; ".join(statements) + ".")
    return Figure(path.stem, path, f"{_dataset_label(dataset)}: learning curves of the one-layer classifiers",
                  caption, "curves")


FIGURES = [prototype_curves]
