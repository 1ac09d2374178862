"""Yat layers stacked with no activation and no normalisation, then a Linear readout.

Each layer computes ⵟ(w, x) = α·(w·x + b)² / (‖w − x‖² + ε) per neuron (see ``yatbench/nn/yat.py``): the square
and the inverse-distance already make the unit non-linear, so nothing sits between layers. The options live here,
read without torch (``yatbench sweep --dry-run`` validates and sizes a grid before torch is imported); the network,
and its readout-free prototype form, is ``yatbench/models/yat_net.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from yatbench.core.errors import UserError, UserValueError
from yatbench.core.yat_options import BIAS_MODES, KERNELS, parse_alpha

if TYPE_CHECKING:
    from yatbench.models.yat_net import YatNet

READOUTS = ("linear", "none")


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

    def param_shapes(self, in_features: int, out_features: int) -> list[tuple[int, ...]]:
        """The shapes of ``build(in_features, out_features)``'s trainable parameters, in its ``parameters()`` order:
        per Yat layer W (out, in), b (out,) unless ``bias: none``, a learnable α (1,) and a learnable ε's raw
        value (1,); then the readout's W and b (a fixed α is a buffer)."""
        widths = [in_features, *self.hidden] if self.readout == "linear" else [in_features, *self.hidden, out_features]
        # Per layer after W and b: a learnable α, then a learnable ε's raw value, each (1,).
        scalars = [(1,)] * ((parse_alpha(self.alpha) == "learnable") + (self.epsilon == "learnable"))
        shapes: list[tuple[int, ...]] = []
        for fan_in, fan_out in pairwise(widths):
            shapes += [(fan_out, fan_in), *([(fan_out,)] if self.bias != "none" else []), *scalars]
        return shapes + ([(out_features, widths[-1]), (out_features,)] if self.readout == "linear" else [])

    def build(self, in_features: int, out_features: int) -> YatNet:
        from yatbench.models.yat_net import YatNet

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
