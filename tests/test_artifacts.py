"""The weight grid: each row scaled by its own max |w| and placed in its tile."""

from __future__ import annotations

import torch

from yatbench.rundir.artifacts import LABEL, PAD, save_weight_grid, tile_rows


def test_tiles_hold_each_row_scaled_to_unit_max(tmp_path) -> None:
    weights = torch.arange(1, 13, dtype=torch.float32).reshape(3, 4) * torch.tensor([[1.0], [-2.0], [0.5]])
    canvas = tile_rows(weights, (2, 2), cols=2)
    assert canvas.shape == (2 * (2 + LABEL), 2 * 2 + PAD)
    first = canvas[LABEL:LABEL + 2, 0:2].flatten()
    assert torch.allclose(first, weights[0] / 4)
    third = canvas[2 + 2 * LABEL:, 0:2].flatten()
    assert torch.allclose(third, weights[2] / weights[2].abs().max())
    assert torch.isnan(canvas[2 + 2 * LABEL:, 2 + PAD:]).all()  # no fourth row: background
    save_weight_grid(weights, (2, 2), tmp_path / "grid.png", "three rows")
    assert (tmp_path / "grid.png").stat().st_size > 1000
