"""The network of ``model=attention`` (its options: ``yatbench/models/attention.py``): a minimal softmax-gated
mixture of linear experts, the "attention" model of seed 001.

    ŷ(x) = Σ_k softmax((G x + c) / τ)_k · (E_k x + e_k)

K linear experts E_k each fit one linear law; the gate G picks (τ → 0) or mixes (large τ)
them as a function of the input. Because the gate weights multiply the expert outputs, the
model holds products of inputs (gate(y) · x), which is what the compositional toy z = a_y·x
needs and what a ReLU network can only approximate piecewise.
"""

from __future__ import annotations

import torch
from torch import nn

from yatbench.nn.stacked import Params, linear


class GatedExperts(nn.Module):
    """K linear experts mixed by an input-dependent softmax gate."""

    def __init__(self, in_features: int, out_features: int, experts: int, temperature: float) -> None:
        super().__init__()
        self.out_features = out_features
        self.experts = experts
        self.temperature = temperature
        self.gate = nn.Linear(in_features, experts)  # G x + c: one score per expert
        # All experts in one matrix: row block k is E_k, so one matmul gives every expert's output.
        self.expert = nn.Linear(in_features, experts * out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate_probs = torch.softmax(self.gate(x) / self.temperature, dim=-1)  # (batch, K)
        expert_out = self.expert(x).unflatten(-1, (self.experts, self.out_features))  # (batch, K, out)
        return (gate_probs.unsqueeze(-1) * expert_out).sum(dim=-2)

    def forward_stacked(self, p: Params, x: torch.Tensor) -> torch.Tensor:
        """S seeds at once (``yatbench/nn/stacked.py``): x (S, N, in) → (S, N, out)."""
        gate_probs = torch.softmax(linear(x, p["gate.weight"], p["gate.bias"]) / self.temperature, dim=-1)
        expert_out = linear(x, p["expert.weight"], p["expert.bias"]).unflatten(-1, (self.experts, self.out_features))
        return (gate_probs.unsqueeze(-1) * expert_out).sum(dim=-2)

    def input_weights(self) -> list[nn.Parameter]:
        return [self.gate.weight, self.expert.weight]
