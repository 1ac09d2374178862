"""The network of ``model=linear`` (its options: ``yatbench/models/linear.py``): one Linear layer, the dot-product
classifier every other model must beat."""

from __future__ import annotations

import torch
from torch import nn

from yatbench.nn.stacked import Params, linear


class LinearNet(nn.Module):
    """ŷ = W x + b. With one output per class this is multinomial logistic regression."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x)

    def forward_stacked(self, p: Params, x: torch.Tensor) -> torch.Tensor:
        """S seeds at once (``yatbench/nn/stacked.py``): x (S, N, in) → (S, N, out)."""
        return linear(x, p["linear.weight"], p["linear.bias"])

    def input_weights(self) -> list[nn.Parameter]:
        return [self.linear.weight]
