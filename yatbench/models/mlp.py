"""Linear → smooth activation blocks, then a Linear readout: the standard PINN network.

Physics-informed networks need u_θ twice (or more) differentiable in its input, so PINN
practice uses tanh (Raissi et al. 2019) or sin activations rather than ReLU, whose second
derivative is zero almost everywhere. Weights are xavier-normal and biases zero, the
initialisation of Raissi et al.'s reference code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import torch
from torch import nn

from yatbench.errors import UserError
from yatbench.nn.stacked import Params, linear

ACTIVATIONS = ("tanh", "sin")


class Sine(nn.Module):
    """x ↦ sin(x), elementwise."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x)


ACTIVATION_MODULES: dict[str, type[nn.Module]] = {"tanh": nn.Tanh, "sin": Sine, "relu": nn.ReLU}


class MlpNet(nn.Module):
    """x → [Linear → activation] × len(hidden) → Linear.

    ``xavier_init``: xavier-normal weights and zero biases (PINN practice); otherwise torch's
    Linear default, which the ReLU net (``yatbench/models/relu.py``) keeps.
    """

    def __init__(self, in_features: int, out_features: int, hidden: list[int], activation: str,
                 xavier_init: bool = True) -> None:
        super().__init__()
        widths = [in_features, *hidden]
        blocks: list[nn.Module] = []
        for fan_in, fan_out in pairwise(widths):
            blocks += [nn.Linear(fan_in, fan_out), ACTIVATION_MODULES[activation]()]
        self.hidden = nn.Sequential(*blocks)
        self.readout = nn.Linear(widths[-1], out_features)
        for module in self.modules():
            if xavier_init and isinstance(module, nn.Linear):
                nn.init.xavier_normal_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.hidden(x))

    def forward_stacked(self, p: Params, x: torch.Tensor) -> torch.Tensor:
        """S seeds at once (``yatbench/nn/stacked.py``): x (S, N, in) → (S, N, out)."""
        for index in range(0, len(self.hidden), 2):  # Linear, activation pairs
            x = self.hidden[index + 1](linear(x, p[f"hidden.{index}.weight"], p[f"hidden.{index}.bias"]))
        return linear(x, p["readout.weight"], p["readout.bias"])

    def input_weights(self) -> list[nn.Parameter]:
        first = self.hidden[0] if len(self.hidden) else self.readout
        return [first.weight]


@dataclass
class MlpConfig:
    """``hidden``: widths of the blocks; ``activation``: tanh | sin (the model's name says which)."""

    name: str = "tanh"
    hidden: list[int] = field(default_factory=lambda: [20, 20, 20])
    activation: str = "tanh"

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise UserError(f"model.activation={self.activation!r} is not valid; "
                            f"choose one of {', '.join(ACTIVATIONS)}")
        if any(width < 1 for width in self.hidden):
            raise UserError(f"model.hidden={list(self.hidden)} must hold positive widths, e.g. model.hidden=[20,20]")

    def build(self, in_features: int, out_features: int) -> MlpNet:
        return MlpNet(in_features, out_features, list(self.hidden), self.activation)
