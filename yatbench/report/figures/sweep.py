"""The headline metric against each swept key: one point per configuration, its 95% interval and n.

For every dataset and every key its runs were swept over (:func:`yatbench.report.sweepview.swept_keys`),
one figure: the key along x (log scale for numbers spanning a decade or more, in order otherwise),
the test metric along y, one series per combination of the model and the other swept keys. Every
point is one configuration over its seeds; nothing is pooled. Series at the same x are drawn side by
side; a point from one seed has no interval and is drawn hollow. A mean or interval end matplotlib cannot
draw (:func:`yatbench.report.style.drawable`) is left out and counted in the caption, so one such value
costs neither the figure nor the other datasets' figures.
"""

from __future__ import annotations

import numpy as np

from yatbench.report.context import Context
from yatbench.report.figures.base import Figure, Section, dataset_label
from yatbench.report.figures.curves import CURVE_LABELS
from yatbench.report.style import DRAWABLE, drawable, marker, pyplot, save, short_key
from yatbench.report.sweepview import SweepPoints, as_number, order_values, sweep_points

SECTIONS = [Section("sweep", "Sweeps: the metric against each swept setting", "Every config key the runs of a "
                    "dataset were swept over, against the test metric: one point per configuration with "
                    "its 95% interval and n. Below the figures, every configuration at once (pick a view; "
                    "click a line or point for its runs).", rank=70)]

MAX_SERIES = 10  # beyond this the legend cannot be read: the rest are named in the caption
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#F0E442", "#999999",
           "#882255"]  # Okabe–Ito, then two more distinct ones


def _series(sweep: SweepPoints, key: str) -> list[tuple[str, str, list[int]]]:
    """(model, label, row indices) per series: the model and the other swept keys' values, fixed along it."""
    others = [k for k in sweep.keys if k != key]
    series: dict[tuple[str, ...], list[int]] = {}
    for index, point in sweep.points.iterrows():
        series.setdefault((point["model"], *(point[k] for k in others)), []).append(int(index))
    out = []
    for (model, *values), rows in series.items():
        words = " ".join(f"{short_key(k)}={v}" for k, v in zip(others, values, strict=True) if v != "–")
        out.append((model, f"{model}{' ' + words if words else ''}", rows))
    return out


def metric_against_key(ctx: Context, sweep: SweepPoints, key: str) -> Figure | None:
    """One figure: ``sweep.metric`` against ``key`` for every configuration of the dataset."""
    order = order_values(list(sweep.points[key]))
    numeric = all(as_number(v) is not None for v in order)
    numbers = [as_number(v) or 0.0 for v in order]
    log = numeric and min(numbers) > 0 and max(numbers) / min(numbers) >= 10
    lines = [s for s in _series(sweep, key) if len({sweep.points.loc[i, key] for i in s[2]}) >= 2]
    if not lines:
        return None
    shown, hidden = lines[:MAX_SERIES], lines[MAX_SERIES:]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.4, 4.4), layout="constrained")
    counts: set[int] = set()
    described = []
    undrawn = 0  # means and interval ends that cannot be drawn (non-finite, or beyond ±DRAWABLE)
    for index, (model, label, rows) in enumerate(shown):
        part = sweep.points.loc[rows]
        part = part.assign(_at=part[key].map(order.index)).sort_values("_at")
        if numeric:
            dodge = (1 + 0.04 * (index - len(shown) / 2)) if log else 0.0
            spread = (max(numbers) - min(numbers)) or 1.0
            xs = np.array([as_number(v) or 0.0 for v in part[key]])
            xs = xs * dodge if log else xs + 0.012 * spread * (index - len(shown) / 2)
        else:
            xs = part["_at"].to_numpy() + 0.06 * (index - len(shown) / 2)
        recorded = [part[c].to_numpy(dtype=float) for c in ("mean", "lo", "hi")]
        means, los, his = (drawable(v) for v in recorded)
        undrawn += sum(int((~np.isnan(r)).sum() - (~np.isnan(d)).sum())
                       for r, d in zip(recorded, (means, los, his), strict=True))
        has = part["n"].to_numpy() > 1
        # an interval end that cannot be drawn is no bar on that side (the caption counts it), never a huge one
        lows = np.where(has, np.nan_to_num(means - los), 0.0)
        highs = np.where(has, np.nan_to_num(his - means), 0.0)
        tint = PALETTE[index % len(PALETTE)]  # one colour per series; the marker tells the model
        ns = sorted(set(part["n"]))
        counts.update(ns)
        ax.errorbar(xs, means, yerr=[lows, highs], color=tint, capsize=3, lw=1.4,
                    marker=marker(model, "o"), label=f"{label} (n = {'/'.join(map(str, ns))})")
        if (~has).any():
            ax.scatter(xs[~has], means[~has], s=80, facecolors="white", edgecolors=tint, zorder=4)
        described.append(f"{label}: " + ", ".join(f"{short_key(key)}={v} n={n} ({c})" for v, n, c in
                                                   zip(part[key], part["n"], part["variant"], strict=True)))
    name = sweep.metric.removeprefix("test_")
    if log:
        ax.set_xscale("log")
    if numeric:
        ax.set_xticks(numbers, order)
        ax.minorticks_off()
    else:
        ax.set_xticks(range(len(order)), order)
    if sweep.lower_is_better:
        ax.set_yscale("log")
    ax.set_xlabel(f"{key}{' (log scale)' if log else ''}")
    ax.set_ylabel(f"{CURVE_LABELS.get(name, 'test ' + name)}: mean, 95% CI")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    n_text = f"n = {'/'.join(map(str, sorted(counts)))} seeds per point"
    fig.suptitle(f"{dataset_label(sweep.dataset)}: test {name} against {key} ({n_text})", x=0.01, ha="left")
    safe = key.replace(".", "_")
    path = save(fig, ctx.out_dir / f"sweep_{sweep.dataset}_{safe}.png")
    caption = (f"Each point is one configuration: mean test {name} over its seeds with its 95% interval (hollow: "
               "one seed, no interval); series hold the model and the other swept settings fixed and are "
               "drawn side by side. " + "; ".join(described) + "."
               + (f" Not drawn ({len(hidden)} more series): " + "; ".join(h[1] for h in hidden) + "."
                  if hidden else "")
               + (f" {undrawn} value(s) (means or interval ends) not finite or beyond ±{DRAWABLE:g} are not "
                  "drawn; the table under the interactive view holds every value." if undrawn else ""))
    return Figure(path.stem, path, f"{dataset_label(sweep.dataset)}: {name} against {key}", caption, "sweep")


def sweep_figures(ctx: Context) -> list[Figure]:
    """Every (dataset, swept key) figure the runs allow."""
    runs = ctx.table.runs
    figures = []
    for dataset in (dict.fromkeys(runs["dataset"]) if not runs.empty else []):
        sweep = sweep_points(runs, str(dataset))
        if sweep is None:
            continue
        for key in sweep.keys:
            made = metric_against_key(ctx, sweep, key)
            if made is not None:
                figures.append(made)
    return figures


FIGURES = [sweep_figures]
