"""Linear → ReLU blocks, then a Linear readout: the ordinary multilayer perceptron."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import torch
from torch import nn

from yatbench.errors import UserError
from yatbench.nn.stacked import Params, linear


class ReluNet(nn.Module):
    """x → [Linear → ReLU] × len(hidden) → Linear.

    ReLU composes half-planes: every unit is max(0, w·x + b), so the network is piecewise
    linear in its input and can only *add* features of x — an x·y product has to be
    approximated by many such pieces.
    """

    def __init__(self, in_features: int, out_features: int, hidden: list[int]) -> None:
        super().__init__()
        widths = [in_features, *hidden]
        blocks: list[nn.Module] = []
        for fan_in, fan_out in pairwise(widths):
            blocks += [nn.Linear(fan_in, fan_out), nn.ReLU()]
        self.hidden = nn.Sequential(*blocks)
        self.readout = nn.Linear(widths[-1], out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.hidden(x))

    def forward_stacked(self, p: Params, x: torch.Tensor) -> torch.Tensor:
        """S seeds at once (``yatbench/nn/stacked.py``): x (S, N, in) → (S, N, out)."""
        for index in range(0, len(self.hidden), 2):  # Linear, ReLU pairs
            x = torch.relu(linear(x, p[f"hidden.{index}.weight"], p[f"hidden.{index}.bias"]))
        return linear(x, p["readout.weight"], p["readout.bias"])

    def input_weights(self) -> list[nn.Parameter]:
        first = self.hidden[0] if len(self.hidden) else self.readout
        return [first.weight]


@dataclass
class ReluConfig:
    """``hidden``: widths of the Linear+ReLU blocks (``[]`` is a plain linear model)."""

    name: str = "relu"
    hidden: list[int] = field(default_factory=lambda: [16])

    def __post_init__(self) -> None:
        if any(width < 1 for width in self.hidden):
            raise UserError(f"model.hidden={list(self.hidden)} must hold positive widths, e.g. model.hidden=[16]")

    def build(self, in_features: int, out_features: int) -> ReluNet:
        return ReluNet(in_features, out_features, list(self.hidden))
