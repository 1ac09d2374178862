"""Pictures a run leaves in its folder: first-layer weights drawn as images; a PDE run's solution."""

from __future__ import annotations

import math
from pathlib import Path

import torch

PAD = 2  # pixels between tiles
LABEL = 8  # pixels above each tile for its index


def tile_rows(weights: torch.Tensor, image_shape: tuple[int, int], cols: int) -> torch.Tensor:
    """Each row of ``weights`` scaled to [−1, 1] by its own max |w|, laid out as tiles of one array.

    Each tile has ``LABEL`` empty pixels above it; empty places and gaps are NaN (background).
    """
    height, width = image_shape
    rows = weights.detach().float().cpu().reshape(-1, height, width)
    rows = rows / rows.flatten(1).abs().amax(1).clamp_min(1e-12)[:, None, None]
    lines = math.ceil(len(rows) / cols)
    canvas = torch.full((lines * (height + LABEL), cols * (width + PAD) - PAD), float("nan"))
    for index, image in enumerate(rows):
        top, left = (index // cols) * (height + LABEL) + LABEL, (index % cols) * (width + PAD)
        canvas[top:top + height, left:left + width] = image
    return canvas


def save_weight_grid(weights: torch.Tensor, image_shape: tuple[int, int], path: Path, title: str) -> None:
    """Draw each row of ``weights`` (k × H·W) as an H×W image in one grid, one colour scale per image.

    A diverging map centred on 0 shows where a weight row is positive (red) and negative
    (blue): a Yat prototype that looks like its digit is red where the digit's ink is — or
    blue, since (w·x + b)² cannot tell a template from its negative. One ``imshow`` of the
    tiled array keeps this cheap enough to run after every run.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    count = weights.shape[0]
    cols = min(count, 10)
    canvas = tile_rows(weights, image_shape, cols)
    lines = math.ceil(count / cols)
    fig, ax = plt.subplots(figsize=(1.3 * cols, 1.45 * lines + 0.4))
    ax.imshow(canvas.numpy(), cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    height, width = image_shape
    for index in range(count):
        ax.text((index % cols) * (width + PAD) + width / 2, (index // cols) * (height + LABEL) + LABEL - 1,
                str(index), ha="center", va="bottom", fontsize=9)
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def save_solution_plot(x: torch.Tensor, exact: torch.Tensor, predicted: torch.Tensor,
                       grid_shape: tuple[int, ...], path: Path, title: str) -> None:
    """A PDE run's test grid: exact vs predicted u and the pointwise error |u_θ − u|.

    One input: both curves over x, and the error on a log scale. Two inputs (``grid_shape`` =
    the grid's (rows, cols)): heat maps of exact u, predicted u and the error over the two
    coordinates (x, then y or t).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, exact, predicted = (t.detach().double().cpu() for t in (x, exact, predicted))
    error = (predicted - exact).abs().squeeze(-1)
    if x.shape[1] == 1:
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 5), sharex=True)
        top.plot(x[:, 0], exact[:, 0], "k-", label="exact u")
        top.plot(x[:, 0], predicted[:, 0], "r--", label="predicted u")
        top.legend(fontsize=8)
        bottom.semilogy(x[:, 0], error.clamp_min(1e-16))
        bottom.set_ylabel("|error|")
        bottom.set_xlabel("x")
    else:
        grids = [t.reshape(grid_shape).numpy() for t in (x[:, 0], x[:, 1], exact[:, 0], predicted[:, 0], error)]
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
        for ax, values, name in zip(axes, grids[2:], ("exact u", "predicted u", "|error|"), strict=True):
            cmap = "viridis" if name == "|error|" else "RdBu_r"
            mesh = ax.pcolormesh(grids[0], grids[1], values, shading="auto", cmap=cmap)
            fig.colorbar(mesh, ax=ax)
            ax.set_title(name, fontsize=9)
            ax.set_xlabel("x")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
