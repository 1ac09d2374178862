"""ⵟ as the formula reads, by plain autograd: the oracle of the fast path and the ablation kernels' path.

The formula, its bias modes and the ablation kernels are defined in ``yatbench/nn/yat.py``'s
docstring; this is that formula written directly (one expression per line), with the same accurate
distance as the fast path (``yatbench/nn/cancellation.py``). Twice differentiable, any dtype.
"""

from __future__ import annotations

from torch import Tensor

from yatbench.errors import UserError
from yatbench.nn.cancellation import cancelled, direct_distance, vmapped
from yatbench.nn.stacked import matmul

BIAS_MODES = ("inside", "outside", "none")
KERNELS = ("yat", "square", "distance")


def yat_reference(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    alpha: Tensor | float | None = None,
    epsilon: float = 1e-5,
    bias_mode: str = "inside",
    kernel: str = "yat",
) -> Tensor:
    """ⵟ (or an ablation ``kernel``) by plain autograd, written as the formula reads.

    ``x`` is (..., d) with ``weight`` (m, d), or a stack: x (S, N, d) with weight (S, m, d);
    ``bias`` (…, m) or None, ``alpha`` a tensor ((1,) or (S, 1)), a float or None (no scaling).
    The distance is the expansion with its cancelled entries recomputed directly (as the fast
    path), except under ``torch.func.vmap`` of x/weight/bias (clamped expansion, see ``yatbench/nn/yat.py``).
    No dtype juggling. Twice differentiable.
    """
    if kernel not in KERNELS:
        raise UserError(f"unknown kernel {kernel!r}; choose one of: {', '.join(KERNELS)}")
    stacked = weight.dim() == 3
    if stacked and bias is not None:
        bias = bias.unsqueeze(-2)
    if stacked and isinstance(alpha, Tensor) and alpha.dim() == 2:
        alpha = alpha.unsqueeze(-1)
    dot = matmul(x, weight.mT)
    xx, ww = x.square().sum(-1), weight.square().sum(-1)
    den = xx.unsqueeze(-1) + (ww.unsqueeze(-2) + epsilon) - 2 * dot
    if vmapped(x, weight, bias):
        den = den.clamp_min(epsilon)
    else:
        flat = x.reshape(-1, x.shape[-1]) if not stacked else x
        den2 = den.reshape(-1, den.shape[-1]) if not stacked else den
        pos = cancelled(den2.detach(), xx.reshape(den2.shape[:-1]).detach(), ww.detach())
        if pos is not None:
            den = den2.index_put(pos, direct_distance(flat, weight, pos) + epsilon).reshape(den.shape)
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
