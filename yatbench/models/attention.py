"""A minimal softmax-gated mixture of linear experts: the "attention" model of seed 001.

    ŷ(x) = Σ_k softmax((G x + c) / τ)_k · (E_k x + e_k)

The options live here, read without torch (``yatbench sweep --dry-run`` validates and sizes a grid before torch
is imported); the network, and why it suits the compositional toy, is ``yatbench/models/attention_net.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from yatbench.core.errors import UserError

if TYPE_CHECKING:
    from yatbench.models.attention_net import GatedExperts


@dataclass
class AttentionConfig:
    """``experts``: number K of linear experts; ``temperature``: softmax τ of the gate."""

    name: str = "attention"
    experts: int = 5
    temperature: float = 1.0

    def __post_init__(self) -> None:
        if self.experts < 1:
            raise UserError(f"model.experts={self.experts} must be >= 1")
        if self.temperature <= 0:
            raise UserError(f"model.temperature={self.temperature} must be > 0")

    def size_override(self, width: int) -> str:
        """The override sizing this model by one number: ``width`` experts."""
        return f"model.experts={width}"

    def param_shapes(self, in_features: int, out_features: int) -> list[tuple[int, ...]]:
        """The shapes of ``build(in_features, out_features)``'s trainable parameters: the gate G (K, in) and c (K,),
        then every expert in one matrix (K·out, in) and its bias."""
        experts = self.experts * out_features
        return [(self.experts, in_features), (self.experts,), (experts, in_features), (experts,)]

    def build(self, in_features: int, out_features: int) -> GatedExperts:
        from yatbench.models.attention_net import GatedExperts

        return GatedExperts(in_features, out_features, self.experts, self.temperature)
