"""ⵟ as the formula reads, by plain autograd: the oracle of the fast path and the ablation kernels' path.

The formula, its bias modes and the ablation kernels are defined in ``yatbench/nn/yat.py``'s
docstring; this is that formula written directly (one expression per line), with the same accurate
distance as the fast path (``yatbench/nn/cancellation.py``). Twice differentiable, any dtype.
"""

from __future__ import annotations

import torch
from torch import Tensor

from yatbench.core.errors import UserError
from yatbench.core.yat_options import KERNELS
from yatbench.nn.cancellation import KAPPA, cancelled, direct_distance, eps_at, vmapped
from yatbench.nn.stacked import matmul


def yat_reference(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    alpha: Tensor | float | None = None,
    epsilon: float | Tensor = 1e-5,
    bias_mode: str = "inside",
    kernel: str = "yat",
    traceable: bool = False,
) -> Tensor:
    """ⵟ (or an ablation ``kernel``) by plain autograd, written as the formula reads.

    ``x`` is (..., d) with ``weight`` (m, d), or a stack: x (S, N, d) with weight (S, m, d);
    ``bias`` (…, m) or None, ``alpha`` a tensor ((1,) or (S, 1)), a float or None (no scaling).
    The distance is the expansion with its cancelled entries recomputed directly (as the fast
    path), except under ``torch.func.vmap`` of x/weight/bias (clamped expansion, see ``yatbench/nn/yat.py``).
    No dtype juggling. Twice differentiable. ``epsilon`` may be a learned tensor ((1,) or (S, 1)).

    ``traceable``: the same selection of cancelled entries without control flow on values, for
    ``torch.jit.trace`` (which records one path and replays it for every input): the direct
    distance of *every* pair (``torch.cdist`` without the GEMM shortcut) is computed and
    ``torch.where`` keeps it exactly where the search would have recomputed an entry. It costs an
    N×m×d pass, so it is used only while tracing.
    """
    if kernel not in KERNELS:
        raise UserError(f"unknown kernel {kernel!r}; choose one of: {', '.join(KERNELS)}")
    stacked = weight.dim() == 3
    if stacked and bias is not None:
        bias = bias.unsqueeze(-2)
    if stacked and isinstance(alpha, Tensor) and alpha.dim() == 2:
        alpha = alpha.unsqueeze(-1)
    eps = epsilon.unsqueeze(-1) if stacked and isinstance(epsilon, Tensor) and epsilon.dim() == 2 else epsilon
    dot = matmul(x, weight.mT)
    xx, ww = x.square().sum(-1), weight.square().sum(-1)
    den = xx.unsqueeze(-1) + (ww.unsqueeze(-2) + eps) - 2 * dot
    if traceable:
        scale = ww if bias is None or bias_mode != "inside" else ww + 2 * bias.abs().reshape(ww.shape)
        direct = torch.cdist(x, weight, compute_mode="donot_use_mm_for_euclid_dist").square() + eps
        den = torch.where(den < KAPPA * (xx.unsqueeze(-1) + scale.unsqueeze(-2)), direct, den)
    elif vmapped(x, weight, bias):
        den = den.clamp_min(eps)
    else:
        flat = x.reshape(-1, x.shape[-1]) if not stacked else x
        den2 = den.reshape(-1, den.shape[-1]) if not stacked else den
        pos = cancelled(den2.detach(), xx.reshape(den2.shape[:-1]).detach(), ww.detach())
        if pos is not None:
            den = den2.index_put(pos, direct_distance(flat, weight, pos) + eps_at(epsilon, pos)).reshape(den.shape)
    inside = bias is not None and bias_mode == "inside"
    num = dot + bias if inside else dot
    if kernel == "square":
        y = num.pow(2)
    elif kernel == "distance":
        y = 1.0 / den
        if inside:  # no numerator to hold the bias: it is added after the ratio
            bias_mode = "outside"
    else:
        y = num.pow(2) / den
    if alpha is not None:
        y = y * alpha
    if bias is not None and bias_mode == "outside":
        y = y + bias
    return y
