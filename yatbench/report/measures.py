"""Numbers the claims are decided on that come from weights or from the formula, not from metrics.json.

- ``yat_grid`` / ``territory_sharpness``: ⵟ of a few neurons over the plane and how hard their
  softmax territories are at each temperature (pure math, float64);
- ``yat_peak``: the maximum of ⵟ(w, ·) for b = 0, found at x* = (1 + ε/‖w‖²)·w and checked
  against every point of a fine grid around it;
- ``mean_abs_cosine`` / ``prototype_cosines``: how orthogonal the first-layer weight rows of
  trained runs are, read from model.pt; ``init_cosines`` the same at initialisation (the model
  rebuilt from its config and seed, untrained).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from yatbench.report.context import Context
from yatbench.report.rebuild import first_layer_weights

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
    weights = list(TERRITORY_WEIGHTS)
    _, _, scores = yat_grid(weights, [0.0] * len(weights), steps=301)
    out = {}
    for tau in TERRITORY_TAUS:
        logits = scores / tau
        logits = logits - logits.max(-1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(-1, keepdims=True)
        out[tau] = float(probs.max(-1).mean())
    return out


def mean_abs_cosine(weights: Any) -> float:
    """Mean |cos| over distinct pairs of weight rows (0 = mutually orthogonal)."""
    w = np.asarray(weights, dtype=np.float64)
    norms = np.linalg.norm(w, axis=1, keepdims=True)
    unit = w / np.where(norms == 0, 1, norms)
    cos = unit @ unit.T
    upper = np.triu_indices(len(w), k=1)
    return float(np.abs(cos[upper]).mean()) if len(upper[0]) else math.nan


def prototype_cosines(ctx: Context, runs: pd.DataFrame) -> dict[int, float]:
    """Mean pairwise |cos| of each run's first-layer weight rows, read from model.pt, by seed."""
    out: dict[int, float] = {}
    for _, run in runs.iterrows():
        try:
            weights = first_layer_weights(ctx.table.run_dir(run["folder"]), ctx.table.configs[run["run_id"]])
        except ValueError as exc:
            ctx.skipped.append(f"prototype geometry {run['run_id']}: {exc}")
            continue
        out[int(run["seed"])] = mean_abs_cosine(weights.numpy())
    return out


def init_cosines(ctx: Context, runs: pd.DataFrame) -> dict[int, float]:
    """Mean pairwise |cos| of the same first layer at initialisation: the model rebuilt from each run's
    config and seed, untrained (what training started from)."""
    from omegaconf import OmegaConf

    from yatbench.config import build_node
    from yatbench.device import seed_everything
    from yatbench.report.rebuild import IMAGE_SIZES

    out: dict[int, float] = {}
    for _, run in runs.iterrows():
        config = ctx.table.configs[run["run_id"]]
        try:
            model_cfg = build_node(OmegaConf.create(config["model"]), "model")
        except Exception:
            continue
        seed_everything(int(run["seed"]))
        net = model_cfg.build(*IMAGE_SIZES)
        out[int(run["seed"])] = mean_abs_cosine(net.input_weights()[0].detach().double().numpy())
    return out


def yat_peak(weight: tuple[float, ...], epsilon: float = EPSILON) -> dict[str, float]:
    """The maximum of ⵟ(w, ·) with b = 0, in float64: its value at x* = (1 + ε/‖w‖²)·w, the largest
    value on a fine grid around x* (a check that x* is the maximum), and the two closed forms."""
    import torch

    from yatbench.nn.yat import yat_reference

    w = torch.tensor([weight], dtype=torch.float64)
    norm2 = float((w**2).sum())
    x_star = w * (1 + epsilon / norm2)
    at_star = float(yat_reference(x_star, w, None, None, epsilon)[0, 0])
    # a grid of ±5·√ε around x* in every direction of the plane spanned by w and a random direction
    gen = torch.Generator().manual_seed(0)
    other = torch.randn(w.shape, generator=gen, dtype=torch.float64)
    other = other - (other @ w.t()) / norm2 * w
    other = other / other.norm()
    unit = w / math.sqrt(norm2)
    steps = torch.linspace(-5, 5, 201, dtype=torch.float64) * math.sqrt(epsilon)
    a, b = torch.meshgrid(steps, steps, indexing="ij")
    points = x_star + a.reshape(-1, 1) * unit + b.reshape(-1, 1) * other
    grid_max = float(yat_reference(points, w, None, None, epsilon).max())
    return {"norm2": norm2, "at_x_star": at_star, "grid_max": grid_max,
            "seed_bound": norm2**2 / epsilon, "design_bound": norm2**2 / epsilon + norm2}


def yat_at(weight: tuple[float, ...], bias: float, x: tuple[float, ...], epsilon: float = EPSILON) -> float:
    """ⵟ(w, x) with bias inside the square (the nmn default), float64."""
    import torch

    from yatbench.nn.yat import yat_reference

    w = torch.tensor([weight], dtype=torch.float64)
    return float(yat_reference(torch.tensor([x], dtype=torch.float64), w,
                               torch.tensor([bias], dtype=torch.float64), None, epsilon)[0, 0])
