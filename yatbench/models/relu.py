"""Linear → ReLU blocks, then a Linear readout: the ordinary multilayer perceptron.

The options live here, read without torch (``yatbench sweep --dry-run`` validates and sizes a grid before torch
is imported); the network is ``yatbench/models/relu_net.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from yatbench.core.errors import UserError
from yatbench.models.mlp import NORMS, block_shapes

if TYPE_CHECKING:
    from yatbench.models.relu_net import ReluNet


@dataclass
class ReluConfig:
    """``hidden``: widths of the Linear+ReLU blocks (``[]`` is a plain linear model); ``norm``: none | layer |
    batch, a normalisation layer between each Linear and its ReLU."""

    name: str = "relu"
    hidden: list[int] = field(default_factory=lambda: [16])
    norm: str = "none"

    def __post_init__(self) -> None:
        if self.norm not in NORMS:
            raise UserError(f"model.norm={self.norm!r} is not valid; choose one of {', '.join(NORMS)}")
        if any(width < 1 for width in self.hidden):
            raise UserError(f"model.hidden={list(self.hidden)} must hold positive widths, e.g. model.hidden=[16]")

    def size_override(self, width: int) -> str:
        """The override sizing this model by one number: one hidden block of ``width`` units."""
        return f"model.hidden=[{width}]"

    def param_shapes(self, in_features: int, out_features: int) -> list[tuple[int, ...]]:
        """The shapes of ``build(in_features, out_features)``'s trainable parameters (a norm's running
        statistics are buffers, not parameters)."""
        return block_shapes(in_features, out_features, list(self.hidden), self.norm)

    def build(self, in_features: int, out_features: int) -> ReluNet:
        from yatbench.models.relu_net import ReluNet

        return ReluNet(in_features, out_features, list(self.hidden), self.norm)
