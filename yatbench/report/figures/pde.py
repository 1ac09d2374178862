"""PDE problems (seeds/004): relative L2 error of u against parameter count, one line per model configuration.

Errors span orders of magnitude, so each point is the mean of log10(error) over seeds (the geometric
mean of the error) with its 95% t interval, drawn on a log axis; a diverged run counts as error 1,
as in the claim (:mod:`yatbench.report.claims.pde`). Exact-vs-predicted u per run is each run
folder's solution.png.
"""

from __future__ import annotations

import numpy as np

from yatbench.report.claims.pde import epsilon_text, log_errors, pde_datasets
from yatbench.report.context import Context
from yatbench.report.figures.base import Figure
from yatbench.report.stats import summarize
from yatbench.report.style import MARKERS, color, pyplot, save
from yatbench.report.tables import seed_range


def error_vs_params(ctx: Context, dataset: str) -> Figure | None:
    """One figure per PDE problem: every (model, ε) line over its sizes, within the reference setting."""
    runs = ctx.table.runs
    frame = runs[runs["dataset"] == dataset]
    if frame.empty:
        return None
    setting = frame["setting"].value_counts().index[0]
    frame = frame[frame["setting"] == setting]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.3), layout="constrained")
    described = []
    for index, (model, by_model) in enumerate(frame.groupby("model", sort=False)):
        lines: dict[str, list] = {}
        for key in dict.fromkeys(by_model["variant"]):
            config = by_model[by_model["variant"] == key]
            name = f"{model} ε = {epsilon_text(config)}" if model == "yat" else model
            lines.setdefault(name, []).append(config)
        for line, (name, configs) in enumerate(lines.items()):
            configs.sort(key=lambda c: c["params"].median())
            sizes = [int(c["params"].median()) for c in configs]
            stats = [summarize(log_errors(c)) for c in configs]
            mean = np.array([s.mean for s in stats])
            low = np.array([s.mean - s.lo if s.n > 1 else 0.0 for s in stats])
            high = np.array([s.hi - s.mean if s.n > 1 else 0.0 for s in stats])
            label = (f"{name}{' (control: u″ = 0 a.e.)' if model == 'relu' else ''}: n = "
                     f"{'/'.join(str(s.n) for s in stats)}, {'/'.join(map(str, sizes))} params")
            ax.errorbar(sizes, 10 ** mean, yerr=[10 ** mean - 10 ** (mean - low), 10 ** (mean + high) - 10 ** mean],
                        color=color(model, index), marker=MARKERS.get(model, "v"), ls=("-", "--", ":")[line % 3],
                        capsize=3, lw=1.5, label=label)
            seeds = seed_range(sorted({s for c in configs for s in c["seed"]}))
            described.append(f"{name} at {', '.join(map(str, sizes))} params (seeds {seeds})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("trainable parameters (count, log scale)")
    ax.set_ylabel("relative L2 error of u (geometric mean, log scale)")
    ax.legend(fontsize=7.5)
    fig.suptitle(f"{dataset}: error against parameter count (95% CI on log10 error)", x=0.01, ha="left")
    path = save(fig, ctx.out_dir / f"pde_error_{dataset}.png")
    caption = ("Geometric mean of the relative L2 error over seeds with the 95% t interval of log10(error); diverged "
               "runs count as 1. " + "; ".join(described) + ". Exact vs predicted u of each run: its solution.png.")
    return Figure(path.stem, path, f"{dataset}: relative L2 error vs parameters", caption, "pde")


def pde_figures(ctx: Context) -> list[Figure]:
    """The error-vs-parameters figure of every problem whose runs recorded the pde task."""
    made = (error_vs_params(ctx, dataset) for dataset in pde_datasets(ctx))
    return [figure for figure in made if figure is not None]


FIGURES = [pde_figures]
