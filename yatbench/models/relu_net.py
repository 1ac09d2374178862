"""The network of ``model=relu`` (its options: ``yatbench/models/relu.py``): Linear → ReLU blocks, then a Linear
readout, the ordinary multilayer perceptron."""

from __future__ import annotations

from yatbench.models.mlp_net import MlpNet


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
