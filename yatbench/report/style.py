"""One look for every report figure: Okabe–Ito colours (colour-blind safe), print-size fonts, 130 dpi.

A model's colour and marker follow its place among the packaged models (:mod:`yatbench.report.registry`):
the subject (Yat) keeps blue and circles; the others take :data:`PALETTE` and :data:`MARKER_CYCLE` in the
order of their sorted names, so every model of ``conf/model/`` has one look in every figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yatbench.report.registry import SUBJECT, model_names

DPI = 130
# matplotlib computes axis limits, margins and ticks in float64: data near the float maximum (a loss of
# 1e308) overflows them and the figure cannot be saved. Values beyond this magnitude are not drawn.
DRAWABLE = 1e300
SUBJECT_COLOR, SUBJECT_MARKER = "#0072B2", "o"  # Yat: blue circles in every figure
# Okabe–Ito without the subject's blue, in the order the other models take them by sorted name (attention,
# linear, relu, sin, tanh: purple, orange, green, vermillion, sky blue); a model beyond them wraps round.
PALETTE = ("#CC79A7", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#F0E442", "#000000")
MARKER_CYCLE = ("D", "s", "^", "v", "P", "X", "*")
# For series that are not a model of the group (kernel ablations, a user's model): taken by index in a figure.
EXTRA_COLORS = ["#D55E00", "#56B4E9", "#F0E442", "#000000"]
TRUTH_COLOR = "#222222"


def short_key(key: str) -> str:
    """``trainer.lr`` → ``lr``: the group is clear from context on a figure or in a legend."""
    return key.split(".", 1)[-1]


def short_label(words: str) -> str:
    """A configuration's label without group prefixes, for a legend: ``lr=0.03 hidden=[2]``."""
    return " ".join(short_key(word) for word in str(words).split())


RC = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "figure.titlesize": 12,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.dpi": DPI,
    "savefig.bbox": "tight",
    "image.interpolation": "nearest",
}


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend with the report style applied."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(RC)
    return plt


def drawable(values: Any) -> Any:
    """``values`` (a pandas Series or an array) as floats, with NaN for what cannot be drawn: non-finite
    values and those beyond ±``DRAWABLE``. A plotted line has a gap there; a caption says so."""
    import numpy as np
    import pandas as pd

    if isinstance(values, pd.Series):
        numbers = pd.to_numeric(values, errors="coerce").astype(float)
        return numbers.where(np.isfinite(numbers) & (numbers.abs() <= DRAWABLE))
    numbers = np.asarray(values, dtype=float)
    return np.where(np.isfinite(numbers) & (np.abs(numbers) <= DRAWABLE), numbers, np.nan)


def _place(model: str) -> int | None:
    """``model``'s index among the packaged models other than the subject; None if it is not one of them."""
    others = [name for name in model_names() if name != SUBJECT]
    return others.index(model) if model in others else None


def color(model: str, index: int = 0) -> str:
    """The model's colour; a name that is not a packaged model takes the spare colours by ``index``."""
    if model == SUBJECT:
        return SUBJECT_COLOR
    place = _place(model)
    return EXTRA_COLORS[index % len(EXTRA_COLORS)] if place is None else PALETTE[place % len(PALETTE)]


def marker(model: str, default: str = "o") -> str:
    """The model's marker; ``default`` for a name that is not a packaged model."""
    if model == SUBJECT:
        return SUBJECT_MARKER
    place = _place(model)
    return default if place is None else MARKER_CYCLE[place % len(MARKER_CYCLE)]


def save(fig: Any, path: Path) -> Path:
    """Write the figure as PNG and close it."""
    plt = pyplot()
    fig.savefig(path, dpi=DPI, facecolor="white")
    plt.close(fig)
    return path
