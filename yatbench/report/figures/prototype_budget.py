"""Where the single-layer verdict rests on the training budget: Yat − linear test accuracy per epoch.

One panel per setting (preprocessing, budget) of the Yat prototype classifier and the linear
classifier trained alike (:func:`yatbench.report.claims.prototypes.prototype_arms`): the difference
of the mean test accuracies at each epoch the runs recorded (history.csv), with its Welch 95%
interval as a band and the zero line; the verdict is 'supported' where the band lies above 0.
The numbers are :func:`yatbench.report.measures.diff_by_epoch`, the same the claim states.
"""

from __future__ import annotations

import pandas as pd

from yatbench.report.claims.base import ok
from yatbench.report.claims.prototypes import prototype_arms
from yatbench.report.context import Context
from yatbench.report.figures.base import Figure
from yatbench.report.figures.base import dataset_label as _dataset_label
from yatbench.report.measures import budgets, diff_by_epoch
from yatbench.report.stats import fmt_interval
from yatbench.report.style import color, pyplot, save

MAX_PANELS = 4


def prototype_budget(ctx: Context) -> list[Figure]:
    """One figure per image dataset: a panel per setting, acc(yat) − acc(linear) against epoch."""
    by_dataset: dict[str, list[tuple[pd.DataFrame, pd.DataFrame]]] = {}
    for yat, linear in prototype_arms(ctx):
        if not ok(yat).empty and not ok(linear).empty:
            by_dataset.setdefault(str(yat["dataset"].iloc[0]), []).append((ok(yat), ok(linear)))
    return [f for f in (_figure(ctx, d, arms[:MAX_PANELS], len(arms)) for d, arms in by_dataset.items()) if f]


def _figure(ctx: Context, dataset: str, settings: list[tuple[pd.DataFrame, pd.DataFrame]],
            total: int) -> Figure | None:
    drawn = [(yat, diffs) for yat, linear in settings if (diffs := diff_by_epoch(ctx, yat, linear))]
    if not drawn:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(1, len(drawn), figsize=(4.8 * len(drawn) + 0.4, 4.2), squeeze=False,
                             layout="constrained", sharey=True)
    statements, shown = [], [0.0]
    for ax, (yat, diffs) in zip(axes[0], drawn, strict=True):
        facts = ctx.table.facts(yat["run_id"].iloc[0])
        epochs = [d.epoch for d in diffs]
        ax.axhline(0, color="black", lw=0.9)
        ax.fill_between(epochs, [d.lo for d in diffs], [d.hi for d in diffs], color=color("yat"), alpha=0.2, lw=0,
                        label="Welch 95% CI")
        ax.plot(epochs, [d.diff for d in diffs], color=color("yat"), lw=1.7, label="mean(yat) − mean(linear)")
        marks = [d for d in diffs if d.epoch in budgets(epochs)]
        ax.plot([d.epoch for d in marks], [d.diff for d in marks], "o", color=color("yat"), ms=4)
        shown += [v for d in diffs if d.epoch >= marks[0].epoch for v in (d.lo, d.hi) if v == v]
        n = diffs[-1].n
        ax.set_title(f"preprocessing {facts.preprocess} (n = {n[0]}, {n[1]})", fontsize=9.5)
        ax.set_xlabel("epoch (training budget)")
        ax.xaxis.get_major_locator().set_params(integer=True)
        statements.append(f"{facts.preprocess}: " + ", ".join(
            f"epoch {d.epoch} {d.diff:+.3f} {fmt_interval(d.lo, d.hi)}" for d in marks))
    pad = 0.1 * (max(shown) - min(shown)) or 0.01
    axes[0, 0].set_ylim(min(shown) - pad, max(shown) + pad)  # from the first budget on; earlier epochs may leave it
    axes[0, 0].set_ylabel("test accuracy difference, yat − linear (fraction)")
    axes[0, 0].legend(fontsize=8, loc="lower right")
    fig.suptitle(f"{_dataset_label(dataset)}: where the Yat vs linear verdict rests on the budget "
                 "(above 0 = yat ahead)", x=0.01, ha="left")
    path = save(fig, ctx.out_dir / f"prototype_budget_{dataset}.png")
    more = f" ({total - len(drawn)} further settings not drawn)" if total > len(drawn) else ""
    caption = ("Test accuracy of the Yat prototype classifier minus that of the linear classifier trained alike, at "
               f"each epoch the runs recorded (history.csv), one panel per setting{more}: line = difference of the "
               "means over seeds, band = Welch 95% CI, black line = 0 (a tie where the band crosses it); the "
               "vertical range covers the epochs from the first budget on. Dots mark the budgets the claim states: "
               + "; ".join(statements) + ".")
    return Figure(path.stem, path, f"{_dataset_label(dataset)}: Yat − linear accuracy by training budget",
                  caption, "curves")


FIGURES = [prototype_budget]
