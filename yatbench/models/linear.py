"""One Linear layer: the dot-product classifier every other model must beat.

The options live here, read without torch (``yatbench sweep --dry-run`` validates and sizes a grid before torch
is imported); the network is ``yatbench/models/linear_net.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yatbench.models.linear_net import LinearNet


@dataclass
class LinearConfig:
    """No options: its size is fixed by the data (in × out + out parameters)."""

    name: str = "linear"

    def param_shapes(self, in_features: int, out_features: int) -> list[tuple[int, ...]]:
        """The shapes of ``build(in_features, out_features)``'s trainable parameters: W (out, in), b (out,)."""
        return [(out_features, in_features), (out_features,)]

    def build(self, in_features: int, out_features: int) -> LinearNet:
        from yatbench.models.linear_net import LinearNet

        return LinearNet(in_features, out_features)
