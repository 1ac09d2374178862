"""S copies of one network run as one program: the protocol a model implements to batch its seeds.

A tiny network costs a CPU about a millisecond per training step, nearly all of it per-operation
overhead. S seeds of the same architecture therefore train in about the time of one when their
parameters are stacked along a leading seed dimension and every operation runs once for all.

The protocol: a model may define ``forward_stacked(params, x)``, where ``params`` maps the
model's own ``state_dict`` names to tensors with a leading seed dimension (S, ...) and ``x`` is
(S, N, in); it returns (S, N, out). It must compute each seed's slice from that seed's slice
alone, with per-seed operations only (:func:`matmul`/:func:`addmatmul` or :func:`linear` below,
elementwise ops, reductions over non-seed dimensions): then a seed's numbers do not depend on how
many seeds run beside it, S = 1 included, beyond rounding (a larger stack may take another kernel: README,
"Seed batching"). (Not ``torch.bmm``/``baddbmm`` directly: for a stack of
one they round differently from the same seed in a larger stack, see :func:`matmul`.) A model
without the method is run through ``torch.func.vmap`` over ``functional_call`` (any module works;
measured several times slower per step on a CPU, because vmap adds Python work to every operation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any

import torch
from torch import Tensor, nn

from yatbench.nn.cancellation import transforms_active

Params = Mapping[str, Tensor]
StackedForward = Callable[[Params, Tensor], Tensor]


def _lone_shortcut(a: Tensor, b: Tensor) -> bool:
    """A stack of one that a CPU batched matmul would not run through its batched kernel (see :func:`matmul`)."""
    return a.dim() == 3 and b.dim() == 3 and a.shape[0] == 1 and 1 in (a.shape[1], a.shape[2], b.shape[2])


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """``a @ b``; for stacks a (S, p, q), b (S, q, r) each slice rounds the same for every S, 1 included.

    A CPU ``torch.bmm`` of a single matrix pair is a plain matrix product, which rounds differently from
    the batched kernel of any larger stack when p, q or r is 1 (matrix-vector code) or, with several
    intra-op threads, when the product is split between threads. Measured on torch 2.15 with MKL over
    random shapes and layouts (2 673 on one thread, 734 on two): every difference was of those kinds,
    and none remained when the stack of one was expanded to two (a view, no copy of the data). On one
    CPU thread (what stacked runs use) such a product runs as two copies of itself: it has a dimension
    of 1, so it is cheap. On several threads or a GPU the trainer gives a lone run a ghost twin instead
    (``yatbench/train/trainer.py``): expanded products measured slower there.
    """
    if _lone_shortcut(a, b):
        return torch.bmm(a.expand(2, -1, -1), b.expand(2, -1, -1))[:1]
    if a.dim() == 3 and b.dim() == 3 and a.shape[0] == b.shape[0] and not torch.is_grad_enabled():
        # What ``@`` runs for such stacks, without its shape analysis. Not while a graph is recorded:
        # ``@`` records other nodes than bmm, and higher derivatives would sum their terms in another order.
        return torch.bmm(a, b)
    return a @ b


def addmatmul(c: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """``torch.baddbmm(c, a, b)`` (c broadcast to (S, p, r)) with :func:`matmul`'s stack-of-one rule."""
    if _lone_shortcut(a, b):
        return torch.baddbmm(c.expand(2, -1, -1), a.expand(2, -1, -1), b.expand(2, -1, -1))[:1]
    return torch.baddbmm(c, a, b)


# Set while a stacked forward runs on inputs that require grad: derivatives with respect to the inputs
# will be taken and differentiated again (PINN losses). There :func:`linear` records autograd's own
# nodes, whose higher derivatives (and the order their terms are summed in) are PyTorch's.
_PLAIN_GRAPH: ContextVar[bool] = ContextVar("yatbench_plain_graph", default=False)


def _linear(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    wt = weight.transpose(-1, -2)
    return matmul(x, wt) if bias is None else addmatmul(bias.unsqueeze(-2), x, wt)


class _Linear(torch.autograd.Function):
    """Per-seed ``x Wᵀ + b`` as one graph node.

    Written with autograd, the stacked form records up to seven nodes (transpose, unsqueeze, the three
    expands of the stack-of-one rule, baddbmm, slice), and on a tiny network each costs about as much as
    the arithmetic. The backward forms the products autograd would, through :func:`matmul`, so the
    gradients are the same numbers: ∂x = G W, ∂W = (Xᵀ G)ᵀ, ∂b = Σ_n G. Its operations are themselves
    differentiable, so a graph built through it (``create_graph=True``) still is; a stacked forward on
    inputs that require grad (PINN losses) records autograd's own nodes instead (``_PLAIN_GRAPH``).
    """

    @staticmethod
    def forward(ctx: Any, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        ctx.save_for_backward(x, weight, bias)
        return _linear(x, weight, bias)

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> tuple[Tensor | None, ...]:
        x, weight, bias = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        g = g.contiguous()  # as autograd's slice backward would leave it (a sum's gradient is an expanded view)
        grad_x = matmul(g, weight) if need_x else None
        grad_w = matmul(x.mT, g).mT if need_w else None
        grad_b = g.sum(-2) if bias is not None and need_b else None
        return grad_x, grad_w, grad_b


def linear(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """Per-seed ``x Wᵀ + b``: x (S, N, i), weight (S, o, i), bias (S, o) → (S, N, o).

    One graph node (``_Linear``) when a graph is recorded in eager mode; plain autograd under a torch.func
    transform and while input derivatives are being taken (``_PLAIN_GRAPH``).
    """
    if not torch.is_grad_enabled() or _PLAIN_GRAPH.get() or transforms_active():
        return _linear(x, weight, bias)
    return _Linear.apply(x, weight, bias)


def sub(params: Params, prefix: str) -> dict[str, Tensor]:
    """The entries of ``params`` under ``prefix.`` with the prefix removed (a child module's view)."""
    start = f"{prefix}."
    return {k[len(start):]: v for k, v in params.items() if k.startswith(start)}


def backend_of(model: nn.Module) -> str:
    """"stacked" when the model has its own ``forward_stacked``, else "vmap"."""
    return "stacked" if callable(getattr(model, "forward_stacked", None)) else "vmap"


def stacked_forward(model: nn.Module) -> tuple[StackedForward, str]:
    """``(forward, backend)``: the model's own ``forward_stacked`` ("stacked"), else vmap ("vmap")."""
    if backend_of(model) == "stacked":
        own = model.forward_stacked

        def forward(params: Params, x: Tensor) -> Tensor:
            if not x.requires_grad:
                return own(params, x)
            token = _PLAIN_GRAPH.set(True)
            try:
                return own(params, x)
            finally:
                _PLAIN_GRAPH.reset(token)

        return forward, "stacked"
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
