"""Pictures a run leaves in its folder: first-layer weights drawn as images."""

from __future__ import annotations

import math
from pathlib import Path

import torch


def save_weight_grid(weights: torch.Tensor, image_shape: tuple[int, int], path: Path, title: str) -> None:
    """Draw each row of ``weights`` (k × H·W) as an H×W image in one grid, one colour scale per image.

    A diverging map centred on 0 shows where a weight row is positive (red) and negative
    (blue): a Yat prototype that looks like its digit is red where the digit's ink is.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = weights.detach().float().cpu().reshape(-1, *image_shape)
    count = rows.shape[0]
    cols = min(count, 10)
    lines = math.ceil(count / cols)
    fig, axes = plt.subplots(lines, cols, figsize=(1.3 * cols, 1.45 * lines + 0.4), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < count:
            limit = rows[index].abs().max().item() or 1.0
            ax.imshow(rows[index].numpy(), cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(str(index), fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
