"""The network of ``model=tanh`` and ``model=sin`` (their options: ``yatbench/models/mlp.py``): Linear → smooth
activation blocks, then a Linear readout, the standard PINN network.

Physics-informed networks need u_θ twice (or more) differentiable in its input, so PINN
practice uses tanh (Raissi et al. 2019) or sin activations rather than ReLU, whose second
derivative is zero almost everywhere. Weights are xavier-normal and biases zero, the
initialisation of Raissi et al.'s reference code.
"""

from __future__ import annotations

from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn

from yatbench.core.errors import UserError
from yatbench.nn.stacked import Params, linear, sub


class Sine(nn.Module):
    """x ↦ sin(x), elementwise."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x)


ACTIVATION_MODULES: dict[str, type[nn.Module]] = {"tanh": nn.Tanh, "sin": Sine, "relu": nn.ReLU}


def _one_row_batch(rows: int, training: bool) -> None:
    """A batch norm cannot normalise a batch of one sample in training (its variance is 0/0): one line, not torch's
    ValueError, for a training set that leaves a last mini-batch of one."""
    if training and rows < 2:
        raise UserError("model.norm=batch needs mini-batches of at least 2 samples, and this training set leaves "
                        "one of 1; choose another trainer.batch_size or model.norm=layer")


class BatchNorm(nn.BatchNorm1d):
    """``nn.BatchNorm1d`` (same state dict) that refuses a training batch of one sample with one clear line."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _one_row_batch(x.shape[0], self.training)
        return super().forward(x)


NORM_MODULES: dict[str, type[nn.Module]] = {"layer": nn.LayerNorm, "batch": BatchNorm}


def norm_stacked(norm: nn.Module, p: Params, x: torch.Tensor) -> torch.Tensor:
    """``norm`` (a LayerNorm or BatchNorm1d module) for S seeds at once: x (S, N, C), p its stacked tensors.

    Layer norm: each row over its C features, then the seed's own scale and shift. Batch norm: each seed's
    channel over its own N rows (the seeds laid side by side as S·C channels of one (N, S·C) batch, so
    torch's batch-norm kernel runs once and a channel never sees another seed's rows); in training mode each
    seed's running statistics (views of the stacked buffers) are updated in place, as the module does, and
    in evaluation mode they normalise.
    """
    if isinstance(norm, nn.LayerNorm):
        y = F.layer_norm(x, norm.normalized_shape, None, None, norm.eps)
        return torch.addcmul(p["bias"].unsqueeze(-2), y, p["weight"].unsqueeze(-2))
    seeds, rows, channels = x.shape
    _one_row_batch(rows, norm.training)
    flat = x.transpose(0, 1).reshape(rows, seeds * channels)
    y = F.batch_norm(flat, p["running_mean"].view(-1), p["running_var"].view(-1), p["weight"].reshape(-1),
                     p["bias"].reshape(-1), norm.training, norm.momentum, norm.eps)
    if norm.training:
        with torch.no_grad():
            p["num_batches_tracked"].add_(1)
    return y.reshape(rows, seeds, channels).transpose(0, 1)


class MlpNet(nn.Module):
    """x → [Linear → activation] × len(hidden) → Linear.

    ``xavier_init``: xavier-normal weights and zero biases (PINN practice); otherwise torch's
    Linear default, which the ReLU net (``yatbench/models/relu_net.py``) keeps. ``norm``: ``layer`` or
    ``batch`` puts a LayerNorm / BatchNorm1d between each Linear and its activation (Linear → norm →
    activation, as Ioffe & Szegedy place batch norm); ``none`` (the default) has none, and its blocks,
    state-dict names included, are those the networks always had.
    """

    def __init__(self, in_features: int, out_features: int, hidden: list[int], activation: str,
                 xavier_init: bool = True, norm: str = "none") -> None:
        super().__init__()
        widths = [in_features, *hidden]
        blocks: list[nn.Module] = []
        for fan_in, fan_out in pairwise(widths):
            normed = [NORM_MODULES[norm](fan_out)] if norm != "none" else []
            blocks += [nn.Linear(fan_in, fan_out), *normed, ACTIVATION_MODULES[activation]()]
        self.block = 2 if norm == "none" else 3  # modules per block: Linear, [norm], activation
        self.hidden = nn.Sequential(*blocks)
        self.readout = nn.Linear(widths[-1], out_features)
        for module in self.modules():
            if xavier_init and isinstance(module, nn.Linear):
                nn.init.xavier_normal_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.hidden(x))

    def forward_stacked(self, p: Params, x: torch.Tensor) -> torch.Tensor:
        """S seeds at once (``yatbench/nn/stacked.py``): x (S, N, in) → (S, N, out)."""
        for index in range(0, len(self.hidden), self.block):  # Linear, [norm], activation
            x = linear(x, p[f"hidden.{index}.weight"], p[f"hidden.{index}.bias"])
            if self.block == 3:
                x = norm_stacked(self.hidden[index + 1], sub(p, f"hidden.{index + 1}"), x)
            x = self.hidden[index + self.block - 1](x)
        return linear(x, p["readout.weight"], p["readout.bias"])

    def input_weights(self) -> list[nn.Parameter]:
        first = self.hidden[0] if len(self.hidden) else self.readout
        return [first.weight]
