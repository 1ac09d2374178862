"""The network of ``model=yat`` (its options: ``yatbench/models/yat.py``): Yat layers stacked with no activation
and no normalisation, then a Linear readout.

Each layer computes ⵟ(w, x) = α·(w·x + b)² / (‖w − x‖² + ε) per neuron (see
``yatbench/nn/yat.py``): the square and the inverse-distance already make the unit
non-linear, so nothing sits between layers. Yat outputs are non-negative, hence the
Linear readout; ``readout: none`` drops it and makes the last Yat layer the output —
one neuron per class whose scores are the logits and whose weights are class prototypes
that can be drawn as images.
"""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import nn

from yatbench.nn.stacked import Params, linear, sub
from yatbench.nn.yat import YatLayer, yat_product


class YatNet(nn.Module):
    """x → Yat(hidden[0]) → … → Yat(hidden[-1]) → Linear, or ends in Yat(out) with no readout."""

    def __init__(self, in_features: int, out_features: int, hidden: list[int], readout: str,
                 bias: str, alpha: str, epsilon: float | str, kernel: str = "yat") -> None:
        super().__init__()
        widths = [in_features, *hidden] if readout == "linear" else [in_features, *hidden, out_features]
        self.yat = nn.Sequential(*(
            YatLayer(fan_in, fan_out, bias=bias, alpha=alpha, epsilon=epsilon, kernel=kernel)
            for fan_in, fan_out in pairwise(widths)
        ))
        self.readout = nn.Linear(widths[-1], out_features) if readout == "linear" else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.yat(x))

    def forward_stacked(self, p: Params, x: torch.Tensor) -> torch.Tensor:
        """S seeds at once (``yatbench/nn/stacked.py``): x (S, N, in) → (S, N, out).

        Each Yat layer is the layer's functional form ``yat_product`` called once on the stacked
        parameters (no vmap): the same fast path, and the same formula, as ``forward``.
        """
        for index, layer in enumerate(self.yat):
            x = _yat_stacked(layer, sub(p, f"yat.{index}"), x)
        if isinstance(self.readout, nn.Linear):
            x = linear(x, p["readout.weight"], p["readout.bias"])
        return x

    def input_weights(self) -> list[nn.Parameter]:
        return [self.yat[0].weight]


def _yat_stacked(layer: YatLayer, p: Params, x: torch.Tensor) -> torch.Tensor:
    """One Yat layer for every seed: the layer's own ``yat_product`` on stacked tensors.

    x (S, N, d), weight (S, m, d), bias (S, m), alpha (S, 1), a learned ε's raw value (S, 1): batched
    GEMMs and per-seed operations only, through the fast custom backward (the ablation kernels through
    plain autograd).
    """
    eps = layer.effective_epsilon(p.get("epsilon_param"), x.dtype)
    return yat_product(x, p["weight"], p.get("bias"), p.get("alpha"), eps, layer.bias_mode, layer.kernel)
