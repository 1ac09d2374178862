"""Linear → ReLU blocks, then a Linear readout: the ordinary multilayer perceptron."""

from __future__ import annotations

from dataclasses import dataclass, field

from yatbench.core.errors import UserError
from yatbench.models.mlp import NORMS, MlpNet


class ReluNet(MlpNet):
    """x → [Linear → ReLU] × len(hidden) → Linear, with torch's default Linear initialisation.

    ReLU composes half-planes: every unit is max(0, w·x + b), so the network is piecewise
    linear in its input and can only *add* features of x — an x·y product has to be
    approximated by many such pieces. Its second derivative is zero almost everywhere, which
    makes it the known-bad control on the PDE problems.

    With ``norm`` (``layer`` | ``batch``) each block is Linear → LayerNorm/BatchNorm1d → ReLU: the
    normalised deep baseline that the depth claim (seeds/004, "without the need of … normalization
    layers") is judged against.
    """

    def __init__(self, in_features: int, out_features: int, hidden: list[int], norm: str = "none") -> None:
        super().__init__(in_features, out_features, hidden, "relu", xavier_init=False, norm=norm)


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

    def build(self, in_features: int, out_features: int) -> ReluNet:
        return ReluNet(in_features, out_features, list(self.hidden), self.norm)
