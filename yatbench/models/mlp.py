"""Linear → smooth activation blocks, then a Linear readout: the standard PINN network (``model=tanh``, ``sin``).

Physics-informed networks need u_θ twice (or more) differentiable in its input, so PINN practice uses tanh
(Raissi et al. 2019) or sin activations rather than ReLU. The options live here, read without torch
(``yatbench sweep --dry-run`` validates and sizes a grid before torch is imported); the network, shared with the
ReLU net, is ``yatbench/models/mlp_net.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

from yatbench.core.errors import UserError

if TYPE_CHECKING:
    from yatbench.models.mlp_net import MlpNet

ACTIVATIONS = ("tanh", "sin")
NORMS = ("none", "layer", "batch")


def block_shapes(in_features: int, out_features: int, hidden: list[int], norm: str = "none") -> list[tuple[int, ...]]:
    """The trainable parameter shapes of :class:`~yatbench.models.mlp_net.MlpNet`, in its ``parameters()`` order:
    each block's Linear (out, in) and bias, its norm's scale and shift (layer or batch norm: (out,) each), then
    the readout's."""
    shapes: list[tuple[int, ...]] = []
    widths = [in_features, *hidden]
    for fan_in, fan_out in pairwise(widths):
        shapes += [(fan_out, fan_in), (fan_out,)] + ([(fan_out,), (fan_out,)] if norm != "none" else [])
    return [*shapes, (out_features, widths[-1]), (out_features,)]


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

    def size_override(self, width: int) -> str:
        """The override sizing this model by one number: every hidden block ``width`` wide, at this depth."""
        return f"model.hidden=[{','.join([str(width)] * max(1, len(self.hidden)))}]"

    def param_shapes(self, in_features: int, out_features: int) -> list[tuple[int, ...]]:
        """The shapes of ``build(in_features, out_features)``'s trainable parameters (:func:`block_shapes`)."""
        return block_shapes(in_features, out_features, list(self.hidden))

    def build(self, in_features: int, out_features: int) -> MlpNet:
        from yatbench.models.mlp_net import MlpNet

        return MlpNet(in_features, out_features, list(self.hidden), self.activation)
