"""PDE problems (seeds/004): relative L2 error of u against parameter count, one line per model configuration.

Errors span orders of magnitude, so each point is the mean of log10(error) over seeds (the geometric
mean of the error) with its 95% t interval, drawn on a log axis; a diverged run counts as error 1,
as in the claim (:mod:`yatbench.report.claims.pde`). Exact-vs-predicted u per run is each run
folder's solution.png.

The learning curves (:func:`convergence_curves`) show where each problem's verdict is read: every seed's
validation physics loss (what the convergence rule and tuning select on) and test error against the epoch,
through the Adam phase and the L-BFGS phase after it, with the seed's best validation epoch (its final weights)
marked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from yatbench.core.narrow import seed_range
from yatbench.report.claims.pde import SELECTION, epsilon_text, log_errors, pde_datasets, tuned_epsilon
from yatbench.report.context import Context
from yatbench.report.figures.base import Figure, Section
from yatbench.report.measures import read_history
from yatbench.report.stats import summarize
from yatbench.report.style import color, drawable, marker, pyplot, save
from yatbench.report.tables import col, params_text

SECTIONS = [Section("pde", "Physics-informed networks (PDEs)", "Yat against tanh, sin and the ReLU control as PINNs "
                    "on PDEs with known solutions (seeds/004); relative L2 error of u on log scales.", rank=60)]


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
                        color=color(model, index), marker=marker(model, "v"), ls=("-", "--", ":")[line % 3],
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


def convergence_curves(ctx: Context, dataset: str) -> Figure | None:
    """Per problem: each seed's validation loss and test rel L2 against the epoch, one colour per model (the drawn
    configuration of each), a dot at the seed's best validation epoch (where it is scored)."""
    plt = pyplot()
    fig, (ax_val, ax_test) = plt.subplots(1, 2, figsize=(10, 3.9), layout="constrained")
    described = []
    for index, model in enumerate(ctx.models(dataset)):
        frame = ctx.runs_of(dataset, model)
        # the seed's row compares untuned Yat: draw nmn's ε where tuning trials (other ε) share the setting
        untuned = [f[f["status"] == "ok"] for f in ctx.partner(frame, model) if not tuned_epsilon(f)]
        frame = untuned[0] if model == "yat" and untuned and not untuned[0].empty else frame
        name = f"{model} ε = {epsilon_text(frame)}" if model == "yat" else model
        drawn = 0
        for folder, best in zip(frame["folder"], col(frame, "best_epoch"), strict=True):
            history = read_history(ctx, folder)
            if history is None or "epoch" not in history.columns:
                continue
            history = history.set_index("epoch")
            for ax, key in ((ax_val, SELECTION), (ax_test, "test_rel_l2")):
                if key not in history.columns:
                    continue
                series = drawable(history[key])
                ax.plot(series.index, series.to_numpy(), color=color(model, index), lw=0.9, alpha=0.75,
                        label=f"{name} (n = {len(frame)}, {params_text(frame)} params)" if drawn == 0 else None)
                if best is not None and not pd.isna(best) and best in series.index:
                    ax.plot([best], [series.loc[best]], "o", color=color(model, index), ms=3.5)
            drawn += 1
        if drawn:
            described.append(f"{name} ({drawn} seeds, {seed_range(frame['seed'].tolist())})")
    if not described:
        plt.close(fig)
        return None
    ax_val.set_ylabel("validation physics loss (residual + boundary, log)")
    ax_test.set_ylabel("test relative L2 error of u (log scale)")
    for ax in (ax_val, ax_test):
        ax.set_yscale("log")
        ax.set_xlabel("epoch (Adam steps, then L-BFGS iterations)")
        ax.legend(fontsize=7.5)
    fig.suptitle(f"{dataset}: convergence (one line per seed; dot: its best validation epoch)", x=0.01, ha="left")
    path = save(fig, ctx.out_dir / f"pde_curves_{dataset}.png")
    caption = ("Every seed's history: the validation physics loss at fresh collocation points (what the convergence "
               "rule stops on and tuning selects on) and the test error (never used for selection). Each phase (Adam, "
               "then L-BFGS) ends per seed by the rule or its maximum; the dot is the epoch whose weights the run "
               "ends with and is scored at. " + "; ".join(described) + ".")
    return Figure(path.stem, path, f"{dataset}: convergence curves", caption, "pde")


def pde_figures(ctx: Context) -> list[Figure]:
    """The error-vs-parameters figure and the convergence curves of every problem whose runs recorded the pde task."""
    made = [maker(ctx, dataset) for dataset in pde_datasets(ctx) for maker in (error_vs_params, convergence_curves)]
    return [figure for figure in made if figure is not None]


FIGURES = [pde_figures]
