"""Numbers the claims are decided on that come from weights or from the formula, not from metrics.json.

- ``yat_grid`` / ``territory_sharpness``: ⵟ of a few neurons over the plane and how hard their
  softmax territories are at each temperature (pure math, float64);
- ``yat_peak``: the maximum of ⵟ(w, ·) for b = 0, in closed form (‖w‖⁴/ε + ‖w‖² at
  x* = (1 + ε/‖w‖²)·w) and by numerical optimisation over x;
- ``read_history`` / ``history_series``: a run's per-epoch history.csv, and one column of it per
  seed (the softmax sharpening claim reads ``test_max_prob``);
- ``late_change``: how much a metric still moved over the last epochs of training (the
  learning-curve check that neither side is still improving);
- ``diff_by_budget``: a − b of a metric at several epochs read from the runs' histories, each with
  its Welch interval (where a verdict rests on the training budget);
- ``prototype_geometry``: how orthogonal the first-layer weight rows of trained runs are (mean
  |cos|, read from model.pt), how much their supports overlap (the seed's premise), and the
  |cos| at initialisation (the model rebuilt from its config and seed, untrained).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from yatbench.report.context import Context
from yatbench.report.load import HISTORY_FILE
from yatbench.report.rebuild import build_untrained, first_layer_weights
from yatbench.report.stats import Summary, summarize, welch_diff
from yatbench.rundir.results import history_too_large

TERRITORY_TAUS = (0.1, 1.0, 10.0)
# Four neurons placed around the origin: the territories figure and its claim use the same ones.
TERRITORY_WEIGHTS = ((1.6, 0.6), (-0.7, 1.5), (-1.4, -0.9), (0.8, -1.5))
EPSILON = 1e-5


def yat_grid(weights: list[tuple[float, float]], biases: list[float], extent: float = 3.0,
              steps: int = 401) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ⵟ of each neuron over a grid of the plane, float64 (grid x, grid y, scores (steps, steps, k))."""
    import torch

    from yatbench.nn.yat import yat_reference

    grid = np.linspace(-extent, extent, steps)
    gx, gy = np.meshgrid(grid, grid)
    points = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float64)
    w = torch.tensor(weights, dtype=torch.float64)
    b = torch.tensor(biases, dtype=torch.float64)
    scores = yat_reference(points, w, b, alpha=None, epsilon=EPSILON).numpy()
    return gx, gy, scores.reshape(steps, steps, len(weights))


def territory_sharpness() -> dict[float, float]:
    """Mean over the plane of the winning neuron's softmax probability, per temperature τ."""
    return dict(_territory_sharpness())


@functools.cache  # pure float64 math on constants: the figure and the claim share one computation
def _territory_sharpness() -> tuple[tuple[float, float], ...]:
    weights = list(TERRITORY_WEIGHTS)
    _, _, scores = yat_grid(weights, [0.0] * len(weights), steps=301)
    out = {}
    for tau in TERRITORY_TAUS:
        logits = scores / tau
        logits = logits - logits.max(-1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(-1, keepdims=True)
        out[tau] = float(probs.max(-1).mean())
    return tuple(out.items())


def read_history(ctx: Context, folder: str, what: str = "learning curve") -> pd.DataFrame | None:
    """A run's history.csv, or None (and a line in ``ctx.skipped``) when it is unreadable or over the size
    limit (:data:`yatbench.report.load.HISTORY_MAX_BYTES`). Columns are numbers (anything else is NaN)."""
    path = ctx.table.run_dir(folder) / HISTORY_FILE
    too_large = history_too_large(path)
    if too_large:
        ctx.skipped.append(f"{what} {folder}: {too_large}")
        return None
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError):
        ctx.skipped.append(f"{what} {folder}: history.csv unreadable")
        return None
    if "epoch" not in frame.columns:
        return None
    for column in frame.columns:  # text or integers beyond int64 (a damaged cell, 10**400): numbers or NaN
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = [_as_float(v) for v in frame[column]]
    return frame[frame["epoch"].notna()]


def _as_float(value: Any) -> float:
    """A CSV cell as a float: ``float()`` of its text (a too-large integer is ±inf), NaN when not a number."""
    try:
        return float(str(value))
    except ValueError:
        return math.nan


def history_series(ctx: Context, runs: pd.DataFrame, column: str) -> dict[int, pd.Series]:
    """Per seed, ``column`` of the run's history indexed by epoch (runs without it are left out)."""
    out = {}
    for folder, seed in zip(runs["folder"], runs["seed"], strict=True):
        history = read_history(ctx, folder, column)
        if history is not None and column in history.columns and history[column].notna().any():
            out[int(seed)] = history.set_index("epoch")[column].dropna()
    return out


PLATEAU_WINDOW = 5  # epochs: "still improving" is judged on the change over the last five


@dataclass(frozen=True)
class LateChange:
    """Per seed, metric[last epoch] − metric[last epoch − window], summarised over seeds (Student t)."""

    first: int
    last: int
    change: Summary

    @property
    def verdict(self) -> str:
        """``still improving`` / ``still getting worse`` when the 95% interval excludes 0, else no clear change."""
        s = self.change
        if s.n < 2 or math.isnan(s.lo):
            return "undecided (fewer than 2 seeds)"
        return "still improving" if s.lo > 0 else "still getting worse" if s.hi < 0 else "no clear change (CI spans 0)"

    def text(self, digits: int = 4) -> str:
        s = self.change
        return (f"Δ epoch {self.first}→{self.last} {s.mean:+.{digits}f}, 95% CI {s.fmt_ci(digits)} "
                f"(n = {s.n}): {self.verdict}")


def late_change(ctx: Context, runs: pd.DataFrame, column: str = "test_accuracy",
                window: int = PLATEAU_WINDOW) -> LateChange | None:
    """The change of ``column`` over the last ``window`` epochs, per seed, with its t interval (one configuration).

    Seeds are compared at the same epochs (the last one every seed reached); None with no history.
    """
    series = history_series(ctx, runs, column)
    if not series:
        return None
    last = min(int(s.index.max()) for s in series.values())
    first = max(last - window, min(int(s.index.min()) for s in series.values()))
    if first >= last:
        return None
    changes = [float(s.get(last) - s.get(first)) for s in series.values() if last in s.index and first in s.index]
    return LateChange(first, last, summarize(changes))


@dataclass(frozen=True)
class EpochDiff:
    """mean(a) − mean(b) of a metric at one epoch of training, Welch 95% interval, seeds per side."""

    epoch: int
    diff: float
    lo: float
    hi: float
    n: tuple[int, int]

    @property
    def side(self) -> str:
        """``above 0`` / ``below 0`` when the interval excludes 0, ``spans 0`` otherwise (or undefined)."""
        return "above 0" if self.lo > 0 else "below 0" if self.hi < 0 else "spans 0"


def diff_by_epoch(ctx: Context, a: pd.DataFrame, b: pd.DataFrame,
                  column: str = "test_accuracy") -> list[EpochDiff]:
    """a − b of ``column`` at every epoch that every seed of both configurations recorded (history.csv)."""
    left, right = history_series(ctx, a, column), history_series(ctx, b, column)
    if not left or not right:
        return []
    epochs = set.intersection(*(set(int(e) for e in s.index) for s in (*left.values(), *right.values())))
    out = []
    for epoch in sorted(epochs):
        xa, xb = [float(s[epoch]) for s in left.values()], [float(s[epoch]) for s in right.values()]
        out.append(EpochDiff(epoch, *welch_diff(xa, xb), (len(xa), len(xb))))
    return out


def budgets(epochs: list[int]) -> list[int]:
    """The epochs to state a verdict at: every 5th (every 10th past 30 epochs) and the last; every epoch
    when that gives fewer than two."""
    if not epochs:
        return []
    last = max(epochs)
    step = 5 if last <= 30 else 10
    chosen = sorted({e for e in epochs if e % step == 0} | {last})
    return chosen if len(chosen) > 1 else sorted(epochs)


def mean_abs_cosine(weights: Any) -> float:
    """Mean |cos| over distinct pairs of weight rows (0 = mutually orthogonal)."""
    w = np.asarray(weights, dtype=np.float64)
    norms = np.linalg.norm(w, axis=1, keepdims=True)
    unit = w / np.where(norms == 0, 1, norms)
    cos = unit @ unit.T
    upper = np.triu_indices(len(w), k=1)
    return float(np.abs(cos[upper]).mean()) if len(upper[0]) else math.nan


SUPPORT_MASS = 0.9  # a prototype's support: the fewest pixels holding 90% of its Σw²


def support_overlap(weights: Any, mass: float = SUPPORT_MASS) -> float:
    """Mean over pairs of rows of |S_i ∩ S_j| / min(|S_i|, |S_j|), S_i the fewest entries holding ``mass``
    of row i's squared weight (0 = disjoint supports, 1 = one support inside the other)."""
    w = np.asarray(weights, dtype=np.float64) ** 2
    supports = []
    for row in w:
        order = np.argsort(row)[::-1]
        total = row.sum()
        count = int(np.searchsorted(np.cumsum(row[order]), mass * total) + 1) if total > 0 else len(row)
        mask = np.zeros(len(row), dtype=bool)
        mask[order[:count]] = True
        supports.append(mask)
    pairs = [(i, j) for i in range(len(supports)) for j in range(i + 1, len(supports))]
    if not pairs:
        return math.nan
    return float(np.mean([(supports[i] & supports[j]).sum() / min(supports[i].sum(), supports[j].sum())
                          for i, j in pairs]))


def prototype_geometry(ctx: Context, runs: pd.DataFrame) -> dict[int, dict[str, float]]:
    """Per seed: mean pairwise |cos| of the trained first-layer rows (model.pt), their support overlap,
    and the |cos| of the same layer at initialisation (rebuilt from the config and seed, untrained)."""
    from yatbench.train.device import seed_everything

    out: dict[int, dict[str, float]] = {}
    for _, run in runs.iterrows():
        config, facts = ctx.table.configs[run["run_id"]], ctx.table.facts(run["run_id"])
        try:
            weights = first_layer_weights(ctx.table.run_dir(run["run_id"]), config, facts).double().numpy()
            seed_everything(int(run["seed"]))
            start = build_untrained(config, facts).input_weights()[0].detach().double().numpy()
        except ValueError as exc:
            ctx.skipped.append(f"prototype geometry {run['run_id']}: {exc}")
            continue
        out[int(run["seed"])] = {"abs_cos": mean_abs_cosine(weights), "support_overlap": support_overlap(weights),
                                 "init_abs_cos": mean_abs_cosine(start)}
    return out


def yat_peak(weight: tuple[float, ...], epsilon: float = EPSILON) -> dict[str, Any]:
    """The maximum of ⵟ(w, ·) with b = 0, in float64, found two ways.

    Analytically: for fixed w·x a component of x orthogonal to w only grows the denominator, so the
    maximum lies on the line x = t·w, where ⵟ = t²‖w‖⁴/((1 − t)²‖w‖² + ε) peaks at t = 1 + ε/‖w‖²:
    max ⵟ = ‖w‖⁴/ε + ‖w‖² at x* = (1 + ε/‖w‖²)·w (``true_max``, ``x_star``, ``at_x_star`` = ⵟ computed there).
    Numerically: BFGS on −ⵟ over all of x (``numeric_max`` and where, ``numeric_argmax``), from x = w and from
    random starts around it, in the coordinates z = (x − w)/√ε that make the spike of width ~√ε well scaled.
    ``seed_bound`` is the bound seeds/000 states, ‖w‖⁴/ε."""
    return dict(_yat_peak(tuple(weight), epsilon))


@functools.cache  # pure float64 math on the claim's constants: computed once per process
def _yat_peak(weight: tuple[float, ...], epsilon: float) -> tuple[tuple[str, Any], ...]:
    import torch
    from scipy.optimize import minimize

    from yatbench.nn.yat import yat_reference

    w = torch.tensor([weight], dtype=torch.float64)
    norm2 = float((w**2).sum())
    seed_bound = norm2**2 / epsilon
    x_star = w * (1 + epsilon / norm2)
    at_star = float(yat_reference(x_star, w, None, None, epsilon)[0, 0])
    root, wn = math.sqrt(epsilon), np.asarray(weight, dtype=np.float64)

    def negative(z: np.ndarray) -> tuple[float, np.ndarray]:
        # −ⵟ/seed_bound (values near −1) and its gradient: ∇ₓ u²/v = 2u·w/v − 2u²(x − w)/v², u = w·x, v = ‖w − x‖² + ε
        x = wn + root * z
        u, v = wn @ x, (wn - x) @ (wn - x) + epsilon
        return -u * u / v / seed_bound, -(2 * u * wn / v - 2 * u * u * (x - wn) / v**2) * root / seed_bound

    rng = np.random.default_rng(0)
    starts = [np.zeros(len(weight))] + [rng.normal(0.0, 3.0, len(weight)) for _ in range(8)]
    best = min((minimize(negative, z0, jac=True, method="BFGS", options={"gtol": 1e-10}) for z0 in starts),
               key=lambda r: r.fun)
    argmax = w + root * torch.tensor(best.x, dtype=torch.float64).unsqueeze(0)
    numeric = float(yat_reference(argmax, w, None, None, epsilon)[0, 0])  # the value there, by the reference code
    argmax = argmax[0]
    return (("norm2", norm2), ("at_x_star", at_star), ("x_star", tuple(x_star[0].tolist())),
            ("numeric_max", numeric), ("numeric_argmax", tuple(argmax.tolist())),
            ("argmax_distance", float((argmax - x_star[0]).norm())),
            ("seed_bound", seed_bound), ("true_max", seed_bound + norm2))


def yat_at(weight: tuple[float, ...], bias: float, x: tuple[float, ...], epsilon: float = EPSILON) -> float:
    """ⵟ(w, x) with bias inside the square (the nmn default), float64."""
    import torch

    from yatbench.nn.yat import yat_reference

    w = torch.tensor([weight], dtype=torch.float64)
    return float(yat_reference(torch.tensor([x], dtype=torch.float64), w,
                               torch.tensor([bias], dtype=torch.float64), None, epsilon)[0, 0])
