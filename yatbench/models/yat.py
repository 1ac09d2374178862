"""Yat layers stacked with no activation and no normalisation, then a Linear readout.

Each layer computes ⵟ(w, x) = α·(w·x + b)² / (‖w − x‖² + ε) per neuron (see
``yatbench/nn/yat.py``): the square and the inverse-distance already make the unit
non-linear, so nothing sits between layers. Yat outputs are non-negative, hence the
Linear readout; ``readout: none`` drops it and makes the last Yat layer the output —
one neuron per class whose scores are the logits and whose weights are class prototypes
that can be drawn as images.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import torch
from torch import nn

from yatbench.core.errors import UserError, UserValueError
from yatbench.nn.stacked import Params, linear, sub
from yatbench.nn.yat import BIAS_MODES, KERNELS, YatLayer, parse_alpha, yat_product

READOUTS = ("linear", "none")


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


@dataclass
class YatConfig:
    """``hidden``: Yat layer widths; ``readout``: ``linear`` or ``none`` (prototype classifier).

    ``bias`` (inside | outside | none), ``alpha`` (learnable | none | a number) and
    ``epsilon`` (a number > 0, or ``learnable``: one softplus-parametrised ε per layer, starting at
    1e-5) are the Yat layer's options, shared by every layer. ``epsilon`` is typed ``Any`` so that it
    can hold the word; a number is stored as a float, as before (run ids unchanged). ``kernel`` (yat | square |
    distance) swaps ⵟ for one of its parts, the ablation controls: ``square`` = α(w·x + b)²,
    ``distance`` = α/(‖w − x‖² + ε).
    """

    name: str = "yat"
    hidden: list[int] = field(default_factory=lambda: [1])
    readout: str = "linear"
    bias: str = "inside"
    alpha: str = "learnable"
    epsilon: Any = 1e-5
    kernel: str = "yat"

    def __post_init__(self) -> None:
        if self.kernel not in KERNELS:
            raise UserError(f"model.kernel={self.kernel!r} is not valid; choose one of {', '.join(KERNELS)}")
        if self.readout not in READOUTS:
            raise UserError(f"model.readout={self.readout!r} is not valid; choose one of {', '.join(READOUTS)}")
        if any(width < 1 for width in self.hidden):
            raise UserError(f"model.hidden={list(self.hidden)} must hold positive widths, e.g. model.hidden=[8]")
        if self.readout == "linear" and not self.hidden:
            raise UserError("model.hidden=[] needs model.readout=none (a Yat layer must come before the readout)")
        self.epsilon = _epsilon_setting(self.epsilon)
        if self.epsilon == "learnable" and self.kernel == "square":
            raise UserValueError("model.epsilon=learnable has nothing to learn with model.kernel=square (no ε in it)")
        if self.bias not in BIAS_MODES:
            raise UserError(f"model.bias={self.bias!r} is not valid; choose one of {', '.join(BIAS_MODES)}")
        try:  # the layer's own rule, checked at config time
            parse_alpha(self.alpha)
        except UserError:
            raise UserError(f"model.alpha={self.alpha!r} is not valid; choose learnable, none or a finite "
                            "number") from None

    def size_override(self, width: int) -> str:
        """The override sizing this model by one number: one Yat layer of ``width`` neurons."""
        return f"model.hidden=[{width}]"

    def build(self, in_features: int, out_features: int) -> YatNet:
        return YatNet(in_features, out_features, list(self.hidden), self.readout,
                      self.bias, self.alpha, self.epsilon, self.kernel)


def _epsilon_setting(value: Any) -> float | str:
    """``learnable``, or ε as a float (the type it always had, so a number's run id is unchanged).

    NaN and infinity pass through as floats: the config's finite check refuses them, as any setting.
    """
    if isinstance(value, str) and value.strip().lower() == "learnable":
        return "learnable"
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        raise UserValueError(f"model.epsilon={value!r} is not valid; give a number > 0 or learnable") from None
    if isinstance(value, bool):
        raise UserValueError(f"model.epsilon={value!r} is not valid; give a number > 0 or learnable")
    if math.isfinite(number) and number <= 0:
        raise UserValueError(f"model.epsilon={number} must be > 0")
    return number
