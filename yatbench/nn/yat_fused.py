"""The Yat layer with its elementwise passes fused: PyTorch's GEMMs around two numba kernels.

Same arithmetic as ``yat_function.py`` (the eager reference; the math is in ``yat.py``'s docstring):
the GEMM z = x Wᵀ (+ b) and ‖x‖², ‖w‖² in PyTorch, then forward's ~6 elementwise N×m passes
(distance by expansion, the cancellation screen and its direct repair, the ratio, α, an outside
bias) as one kernel, and backward's ~11 (u, G u, ∂L/∂α, k, v, the sums per row and per unit,
∂L/∂ε, h = k + v) as one kernel whose output h feeds the same two GEMMs as eager. Entries whose
expanded distance has cancelled are recomputed from the difference inside the kernels (forward and
backward), and their distance-gradient terms ∓v (x − w) are added by a third kernel afterwards,
which runs only when forward repaired an entry.

Double backward: a backward run with grad enabled (``create_graph=True``) takes the eager
``yat_backward`` on the same saved tensors, which rebuilds its intermediates differentiably; the
second derivatives are therefore the eager path's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from yatbench.nn.cancellation import KAPPA
from yatbench.nn.stacked import matmul
from yatbench.nn.yat_function import (
    Eps,
    _prepare,
    _scale,
    save_for_yat_backward,
    saved_for_yat_backward,
    yat_backward,
)

_NP = {torch.float32: np.float32, torch.float64: np.float64}
_KAPPA = {dtype: np.array([KAPPA], np_dtype) for dtype, np_dtype in _NP.items()}
_NO_BIAS = {dtype: np.empty((1, 0), np_dtype) for dtype, np_dtype in _NP.items()}


def _kernels() -> Any:
    from yatbench.nn import yat_fused_kernels  # numba: imported on first use only

    return yat_fused_kernels


def _vec(value: Tensor | float | None, dtype: torch.dtype, default: float) -> np.ndarray:
    """α or ε as a numpy vector (1,) or (S,) of the compute dtype."""
    if value is None:
        value = default
    if isinstance(value, Tensor):
        return value.detach().reshape(-1).to(dtype).numpy()
    return np.array([value], dtype=_NP[dtype])


def _np(t: Tensor, stacked: bool) -> np.ndarray:
    """A tensor's data as a numpy view with a leading seed dimension (size 1 for a plain layer); no copy,
    any strides (the kernels index through them)."""
    a = t.detach().numpy()
    return a if stacked else a[None]


def fused_forward(
    x: Tensor, weight: Tensor, bias: Tensor | None, alpha: Tensor | None, eps: Eps, outside: bool
) -> tuple[Tensor, Tensor, Tensor, Tensor, bool]:
    """``yat_forward`` (same results and saved quantities) with the elementwise work in one kernel.

    Runs without recording a graph (inside an autograd Function, or for evaluation)."""
    inside = bias is not None and not outside
    z, xx, ww, wb = _prepare(x, weight, bias, eps, inside)
    scale = _scale(ww, bias if inside else None)
    stacked = weight.dim() == 3
    y = torch.empty_like(z)
    dtype = z.dtype
    repaired = np.zeros(z.numel() // z.shape[-1], dtype=np.int64)
    b_out = _np(bias, stacked) if outside and bias is not None else _NO_BIAS[dtype]
    _kernels().forward(_np(z, stacked), _np(xx, stacked), _np(wb, stacked), _np(scale, stacked),
                       _vec(alpha, dtype, 1.0), _vec(eps, dtype, 0.0), b_out, _np(x, stacked), _np(weight, stacked),
                       _KAPPA[dtype], True, _np(y, stacked), repaired)
    return y, z, xx, wb, bool(repaired.any())


def fused_backward(
    g: Tensor, saved: tuple[Tensor | None, ...], needs: tuple[bool, ...], eps: Eps, outside: bool, screen: bool
) -> tuple[Tensor | None, ...]:
    """``yat_backward`` (no graph) with the elementwise work in one kernel; same order of results."""
    k = _kernels()
    x, weight, bias, alpha, z, xx, wb = saved
    x, weight = x.detach(), weight.detach()
    need_x, need_w, need_b, need_a = needs[:4]
    need_e = len(needs) > 4 and needs[4] and isinstance(eps, Tensor)
    inside = bias is not None and not outside
    stacked = weight.dim() == 3
    dtype = z.dtype
    wb_np = _np(wb, stacked)
    scale = wb_np  # read only when screening
    if screen:
        scale = _np(_scale(torch.linalg.vector_norm(weight, dim=-1).square(), bias if inside else None), stacked)
    *lead, n_rows, m = z.shape
    seeds = lead[0] if stacked else 1
    nb = k.blocks(n_rows)
    h = torch.empty_like(z)
    v_rows = z.new_empty(*lead, n_rows, 1)
    part_kv = z.new_zeros(2, seeds, nb, m)  # per block of rows: Σ k and Σ v per unit
    part_ae = z.new_zeros(2, seeds, nb)  # per block: Σ G u z and Σ v
    repaired = np.zeros(seeds * n_rows, dtype=np.int64)
    a_np, e_np, g_np, z_np, xx_np = _vec(alpha, dtype, 1.0), _vec(eps, dtype, 0.0), _np(g, stacked), \
        _np(z, stacked), _np(xx, stacked)
    x_np, w_np = _np(x, stacked), _np(weight, stacked)
    pkv, pae = part_kv.numpy(), part_ae.numpy()
    k.backward(g_np, z_np, xx_np, wb_np, scale, a_np, e_np, x_np, w_np, _KAPPA[dtype], screen, _np(h, stacked),
               v_rows.numpy().reshape(seeds, n_rows), pkv[0], pkv[1], pae[0], pae[1], repaired)
    grad_a = grad_b = grad_x = grad_w = grad_e = None
    if alpha is not None and need_a:
        grad_a = (part_ae[0].sum(-1) if alpha.numel() > 1 else part_ae[0].sum()).reshape(alpha.shape)
    if bias is not None and need_b:
        grad_b = (g.sum(-2) if outside else part_kv[0].sum(-2)).reshape(bias.shape)
    if need_e:
        grad_e = (part_ae[1].sum(-1) if eps.numel() > 1 else part_ae[1].sum()).mul_(-0.5).reshape(eps.shape)
    if need_x:
        grad_x = (matmul(h, weight) if stacked else torch.mm(h, weight)).addcmul_(x, v_rows, value=-1.0)
    if need_w:
        v_cols = part_kv[1].sum(-2).reshape(*lead, m, 1)
        grad_w = (matmul(h.mT, x) if stacked else torch.mm(h.mT, x)).addcmul_(weight, v_cols, value=-1.0)
    if repaired.any() and (need_x or need_w):
        empty = np.empty((seeds, 0, x.shape[-1]), _NP[dtype])
        k.repair_terms(g_np, z_np, xx_np, wb_np, scale, a_np, e_np, x_np, w_np, _KAPPA[dtype],
                       empty if grad_x is None else _np(grad_x, stacked),
                       empty if grad_w is None else _np(grad_w, stacked))
    return grad_x, grad_w, grad_b, grad_a, grad_e


class YatFusedFunction(torch.autograd.Function):
    """``YatFunction`` with the elementwise passes fused (numba); same inputs, output and saved tensors.

    Backward with ``create_graph=True`` runs the eager ``yat_backward`` (differentiable), so the
    layer stays twice differentiable; the first derivatives agree with eager's to rounding.
    """

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, weight: Tensor, bias: Tensor | None, alpha: Tensor | None, epsilon: Eps, outside: bool
    ) -> Tensor:
        y, z, xx, wb, repaired = fused_forward(x, weight, bias, alpha, epsilon, outside)
        save_for_yat_backward(ctx, (x, weight, bias, alpha, z, xx, wb), epsilon, outside, repaired)
        return y

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> tuple[Tensor | None, ...]:
        saved, eps = saved_for_yat_backward(ctx)
        if torch.is_grad_enabled():  # create_graph: the eager, differentiable backward
            grads = yat_backward(g, saved, ctx.needs_input_grad[:5], eps, ctx.outside, screen=ctx.repaired,
                                 inplace=False)
        else:
            grads = fused_backward(g, saved, ctx.needs_input_grad[:5], eps, ctx.outside, ctx.repaired)
        return (*grads, None)
