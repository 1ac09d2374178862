"""S copies of one network run as one program: the protocol a model implements to batch its seeds.

A tiny network costs a CPU about a millisecond per training step, nearly all of it per-operation
overhead. S seeds of the same architecture therefore train in about the time of one when their
parameters are stacked along a leading seed dimension and every operation runs once for all.

The protocol: a model may define ``forward_stacked(params, x)``, where ``params`` maps the
model's own ``state_dict`` names to tensors with a leading seed dimension (S, ...) and ``x`` is
(S, N, in); it returns (S, N, out). It must compute each seed's slice from that seed's slice
alone, with per-seed operations only (``torch.bmm``/``baddbmm``, elementwise ops, reductions over
non-seed dimensions): then a seed's numbers do not depend on how many seeds run beside it. A model
without the method is run through ``torch.func.vmap`` over ``functional_call`` (any module works;
measured several times slower per step on a CPU, because vmap adds Python work to every operation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
from torch import Tensor, nn

Params = Mapping[str, Tensor]
StackedForward = Callable[[Params, Tensor], Tensor]


def linear(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """Per-seed ``x Wᵀ + b``: x (S, N, i), weight (S, o, i), bias (S, o) → (S, N, o)."""
    wt = weight.transpose(-1, -2)
    return torch.bmm(x, wt) if bias is None else torch.baddbmm(bias.unsqueeze(-2), x, wt)


def sub(params: Params, prefix: str) -> dict[str, Tensor]:
    """The entries of ``params`` under ``prefix.`` with the prefix removed (a child module's view)."""
    start = f"{prefix}."
    return {k[len(start):]: v for k, v in params.items() if k.startswith(start)}


def stacked_forward(model: nn.Module) -> tuple[StackedForward, str]:
    """``(forward, backend)``: the model's own ``forward_stacked`` ("stacked"), else vmap ("vmap")."""
    own = getattr(model, "forward_stacked", None)
    if callable(own):
        return own, "stacked"
    from torch.func import functional_call, vmap

    names = {name for name, _ in model.named_parameters()}

    def one(params: Params, x: Tensor) -> Tensor:
        weights = {k: v for k, v in params.items() if k in names}
        buffers = {k: v for k, v in params.items() if k not in names}
        return functional_call(model, (weights, buffers), (x,))

    return vmap(one), "vmap"


def stack_models(models: list[nn.Module]) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """(parameters, buffers) of ``models`` stacked along a new leading seed dimension, as fresh leaves."""
    with torch.no_grad():
        params = {name: torch.stack([dict(m.named_parameters())[name] for m in models]).requires_grad_(p.requires_grad)
                  for name, p in models[0].named_parameters()}
        buffers = {name: torch.stack([dict(m.named_buffers())[name] for m in models])
                   for name, _ in models[0].named_buffers()}
    return params, buffers


@torch.no_grad()
def load_slice(model: nn.Module, stacked: Mapping[str, Tensor], index: int) -> None:
    """Copy seed ``index``'s slice of the stacked tensors back into its own module."""
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        tensor.copy_(stacked[name][index])
