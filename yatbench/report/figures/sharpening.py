"""Softmax sharpening per epoch (seeds/000): the winning class's mean probability on the test set."""

from __future__ import annotations

import pandas as pd

from yatbench.core.narrow import seed_range
from yatbench.report.claims.sharpening import COLUMN, sharpening_arms
from yatbench.report.context import Context
from yatbench.report.figures.base import Figure, dataset_label
from yatbench.report.measures import history_series
from yatbench.report.style import color, pyplot, save


def _label(frame: pd.DataFrame) -> str:
    label = str(frame["variant_label"].iloc[0]) if "variant_label" in frame.columns else ""
    return label or "default"


def sharpening(ctx: Context) -> list[Figure]:
    """One figure per Yat prototype configuration: mean ± std over seeds of test_max_prob per epoch, against linear."""
    figures = []
    for index, (yat, linear) in enumerate(sharpening_arms(ctx), start=1):
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
        used = []
        for model, frame in (("yat", yat), ("linear", linear)):
            series = history_series(ctx, frame[frame["status"] == "ok"], COLUMN) if not frame.empty else {}
            if not series:
                continue
            stacked = pd.concat(series.values(), axis=1)
            mean, std = stacked.mean(axis=1), stacked.std(axis=1).fillna(0)
            params = int(frame["params"].median())
            name = "Yat prototypes (1 neuron per class)" if model == "yat" else "linear classifier"
            ax.plot(mean.index, mean.to_numpy(), color=color(model), lw=1.8, marker="o", ms=3,
                    label=f"{name}: {params} params, n = {stacked.shape[1]}")
            ax.fill_between(mean.index, mean - std, mean + std, color=color(model), alpha=0.2, lw=0)
            used.append(f"{model} seeds {seed_range(list(series))}")
        if not used:
            plt.close(fig)
            continue
        classes = ctx.table.facts(yat["run_id"].iloc[0]).out_features
        ax.axhline(1 / classes, color="#888888", ls=":", lw=1, label=f"uniform over {classes} classes")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("epoch")
        ax.set_ylabel("mean max softmax probability, test set (fraction)")
        ax.legend(fontsize=8, loc="best")
        dataset = str(yat["dataset"].iloc[0])
        ax.set_title(f"{dataset_label(dataset)} · {_label(yat)}: softmax sharpening (mean ± std over seeds)",
                     fontsize=10, loc="left")
        path = save(fig, ctx.out_dir / f"softmax_sharpening_{index}.png")
        caption = (f"Per epoch, the test-set mean of the winning class's softmax probability ({COLUMN}); line: mean "
                   f"over seeds, band: ± 1 std ({'; '.join(used)}). seeds/000 says it approaches 1 as training "
                   "progresses; the claim is judged against the linear classifier trained alike (same data and "
                   "budget), seed by seed, not against a fixed level.")
        figures.append(Figure(path.stem, path, f"Softmax sharpening ({_label(yat)})", caption, "seeds"))
    return figures


FIGURES = [sharpening]
