"""The Yat-product layer ⵟ: one layer, one file, its math here.

For a weight row w (one output unit), an input x, both in R^d, a bias b and a scale α:

    ⵟ(w, x) = α · (w·x + b)² / (‖w − x‖² + ε)          bias="inside"  (default, as nmn)
    ⵟ(w, x) = α · (w·x)²     / (‖w − x‖² + ε) + b      bias="outside"
    ⵟ(w, x) = α · (w·x)²     / (‖w − x‖² + ε)          bias="none"

Ablation kernels (``kernel=``, DESIGN.md §1), for telling which part of ⵟ does the work:

    kernel="yat"       α (w·x + b)² / (‖w − x‖² + ε)   the product above (default)
    kernel="square"    α (w·x + b)²                     the numerator alone
    kernel="distance"  α / (‖w − x‖² + ε)               the inverse distance alone

Bias modes and α apply as for ``yat``: for ``square`` the bias sits inside the square
(``inside``), is added after it (``outside``) or is absent (``none``); ``distance`` has no
numerator for a bias to sit in, so ``inside`` and ``outside`` both add b after the ratio. The
ablation kernels are controls, not speed paths: they run through plain autograd.

The numerator rewards alignment (it is a squared dot product), the denominator rewards
proximity, so a unit fires most for inputs that point like w *and* sit near it; with b = 0
the maximum over x is ‖w‖⁴/ε + ‖w‖², reached at x = (1 + ε/‖w‖²)·w. Outputs are ≥ 0
whenever α ≥ 0 (and the bias is not outside).

Batched over a matrix X (N×d) and weights W (m×d), with s = X Wᵀ (the one GEMM):

    z = s + b                       (inside; z = s otherwise)
    D = max(0, ‖x‖² + ‖w‖² − 2 s)   (distance by expansion: reuses s; the clamp absorbs the
                                     cancellation when x ≈ w)
    y = α z² / (D + ε)  [+ b when outside]

Defaults follow ``nmn.torch.nmn.YatNMN`` (nmn ≥ 0.3) exactly: bias inside the square,
ε = 1e-5, a learnable α of shape (1,) initialised to 1 and applied as a plain product (nmn has no
extra sqrt(out)/log(1+out) factor on the learnable α; its ``constant_alpha=True`` option uses √2,
which is not our default), xavier-normal weight of shape (out, in), bias U(−1/√d, 1/√d), the
distance computed from the bias-free dot product and clamped at 0 before ε is added (here as
max(D + ε, ε), the same number), and fp16 / bf16 inputs computed in fp32 and cast back
(saturating at the dtype's range).

Speed. Linear+ReLU costs one GEMM forward and two backward and keeps one N×m tensor for
backward. ``_YatFunction`` below has the same shape of cost: it keeps x, W (which autograd keeps
for Linear too), the N×m tensor z, and two vectors (‖x‖², ‖w‖² + 2b + ε); backward recomputes
the elementwise quantities from z and does the two GEMMs. The gradient derivation is in the
comments of ``_YatFunction.backward``. Double backward is *not* supported through the fast path
(it raises; use ``yat_reference`` if you need it); ``torch.func.grad``/``vmap``/
``functional_call`` are.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from yatbench.errors import UserError

__all__ = ["BIAS_MODES", "KERNELS", "YatLayer", "yat_product", "yat_reference"]

BIAS_MODES = ("inside", "outside", "none")
KERNELS = ("yat", "square", "distance")
_HALF = (torch.float16, torch.bfloat16)


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

    ``x`` is (..., d), ``weight`` (m, d), ``bias`` (m,) or None, ``alpha`` a tensor, a float or None
    (no scaling). Same expansion and clamp as the fast path, no dtype juggling.
    """
    if kernel not in KERNELS:
        raise UserError(f"unknown kernel {kernel!r}; choose one of: {', '.join(KERNELS)}")
    dot = x @ weight.t()
    dist = (x.pow(2).sum(-1, keepdim=True) + weight.pow(2).sum(-1) - 2 * dot).clamp(min=0.0)
    inside = bias is not None and bias_mode == "inside"
    num = dot + bias if inside else dot
    if kernel == "square":
        y = num.pow(2)
    elif kernel == "distance":
        y = 1.0 / (dist + epsilon)
        if inside:  # no numerator to hold the bias: it is added after the ratio
            bias_mode = "outside"
    else:
        y = num.pow(2) / (dist + epsilon)
    if alpha is not None:
        y = y * alpha
    if bias is not None and bias_mode == "outside":
        y = y + bias
    return y


def _plain(*tensors: Tensor | None) -> bool:
    """True when no tensor is wrapped by a torch.func transform (vmap/grad), so in-place is safe.

    Under vmap an in-place op fails when its operand is batched and its target is not (e.g. only α
    is vmapped); the eager path uses in-place ops to save N×m allocations, the transformed path
    does not.
    """
    return not any(t is not None and _is_wrapped(t) for t in tensors)


_is_wrapped = torch._C._functorch.is_functorch_wrapped_tensor


def _minus_scaled(acc: Tensor, t: Tensor, scale: Tensor, inplace: bool) -> Tensor:
    """acc − t ⊙ scale (in place when allowed; vmap has no addcmul_ rule)."""
    return acc.addcmul_(t, scale, value=-1.0) if inplace else acc - t * scale


class _YatFunction(torch.autograd.Function):
    """ⵟ over a 2-D batch with a hand-derived backward (new-style: forward + setup_context).

    Inputs: x (N, d), weight (m, d), bias (m,) or None, alpha (1,) or None, epsilon (float),
    outside (bool: bias added after the ratio rather than inside the square).
    Outputs: y (N, m), and the intermediates z (N, m), xx (N,), wb (m,) that backward needs; they
    are returned (marked non-differentiable) rather than stashed on ctx so that torch.func can
    vmap forward and backward (``generate_vmap_rule``).

    Memory: backward keeps x and weight (as Linear does), z, and two vectors. Time: one GEMM
    forward, two backward, and a handful of N×m elementwise passes, done in place where the
    tensors are plain (not under a torch.func transform).
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(
        x: Tensor, weight: Tensor, bias: Tensor | None, alpha: Tensor | None, epsilon: float, outside: bool
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        inplace = _plain(x, weight, bias, alpha)
        inside = bias is not None and not outside
        # z = x Wᵀ (+ b): the single GEMM, fused with the bias like Linear's addmm.
        z = torch.addmm(bias, x, weight.t()) if inside else x @ weight.t()
        xx = torch.linalg.vector_norm(x, dim=-1).square()  # ‖x‖², (N,), no N×d temporary
        # wb = ‖w‖² + 2b + ε, (m,): D + ε = ‖x‖² + ‖w‖² − 2s + ε = ‖x‖² + wb − 2z, so z alone
        # suffices, and max(D, 0) + ε = max(D + ε, ε) folds ε into the vector.
        wb = torch.linalg.vector_norm(weight, dim=-1).square()
        wb = wb + (2 * bias + epsilon) if inside else wb + epsilon
        den = torch.add(wb, z, alpha=-2.0).add_(xx.unsqueeze(-1))  # D + ε before the clamp
        if inplace:  # y = z² / (D + ε), built in den's buffer
            y = torch.div(z, den.clamp_min_(epsilon), out=den).mul_(z)
        else:  # (vmap has no clamp_ rule; out= is not allowed under transforms)
            y = z / den.clamp_min(epsilon) * z
        if alpha is not None:
            y = y.mul_(alpha) if inplace else y * alpha
        if outside and bias is not None:
            y = y.add_(bias) if inplace else y + bias
        return y, z, xx, wb

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: tuple[Tensor, ...]) -> None:
        x, weight, bias, alpha, epsilon, outside = inputs
        _, z, xx, wb = output
        ctx.mark_non_differentiable(z, xx, wb)
        ctx.set_materialize_grads(False)  # the intermediates get no gradient: skip the zeros
        ctx.save_for_backward(x, weight, alpha, z, xx, wb)
        ctx.epsilon = epsilon
        ctx.outside = outside
        ctx.has_bias = bias is not None

    @staticmethod
    @once_differentiable  # a second derivative would miss the saved intermediates: refuse it
    def backward(ctx: Any, g: Tensor | None, *_unused: Any) -> tuple[Tensor | None, ...]:
        # Notation (per element n, j; G = ∂L/∂y):
        #   s = x·w,  z = s + b (inside) or s,  D' = ‖x‖² + ‖w‖² − 2s,  D = max(0, D'),
        #   u = z / (D + ε),  r = z u = z²/(D + ε),  y = α r (+ b outside).
        # Chain rule through r:
        #   ∂r/∂z = 2u,   ∂r/∂D = −u²,   ∂D/∂D' = 1[D' ≥ 0] =: M   (torch.clamp's convention)
        # With K = α G u:
        #   ∂L/∂z = 2K,   ∂L/∂D' = −K u M =: −V
        # s feeds z (∂z/∂s = 1) and D' (∂D'/∂s = −2), so ∂L/∂s = 2K + 2V =: H.
        # D' also depends on ‖x_n‖² and ‖w_j‖² (whose gradients are 2x_n and 2w_j), hence
        #   ∂L/∂x = H W − 2 x ⊙ Σ_j V      (GEMM 1)
        #   ∂L/∂W = Hᵀ X − 2 W ⊙ Σ_n V     (GEMM 2)
        #   ∂L/∂b = 2 Σ_n K (inside) or Σ_n G (outside);   ∂L/∂α = Σ G r = Σ (G u) z.
        # Below k = 2K and v = 2V, so that h = k + v = H and the factor 2 costs nothing.
        if g is None:
            return None, None, None, None, None, None
        x, weight, alpha, z, xx, wb = ctx.saved_tensors
        need_x, need_w, need_b, need_a = ctx.needs_input_grad[:4]
        inplace = _plain(g, x, weight, alpha, z)
        eps = ctx.epsilon
        u = torch.add(wb, z, alpha=-2.0).add_(xx.unsqueeze(-1))  # D' + ε (before the clamp)
        # Where the clamp was active (only under cancellation, x ≈ w) D' gets no gradient. On the
        # CPU, one reduction tells whether any entry was clamped and usually spares the mask; on
        # accelerators the mask is always built (reading the flag back would synchronise).
        clamped: Tensor | None = None
        if not (inplace and u.device.type == "cpu" and bool(u.min() >= eps)):
            clamped = u < eps
        if inplace:
            u = torch.div(z, u.clamp_min_(eps), out=u)  # u = z / (D + ε)
        else:
            u = z / u.clamp_min(eps)
        gu = g * u
        grad_a = None
        if alpha is not None and need_a:
            grad_a = torch.dot(gu.reshape(-1), z.reshape(-1)).reshape(alpha.shape)
        scale = 2.0 * alpha if alpha is not None else 2.0
        k = gu.mul_(scale) if inplace else gu * scale
        grad_b = None
        if ctx.has_bias and need_b:
            grad_b = g.sum(0) if ctx.outside else k.sum(0)
        grad_x = grad_w = None
        if need_x or need_w:
            v = u.mul_(k) if inplace else u * k
            if clamped is not None:
                v = v.masked_fill_(clamped, 0.0)
            v_rows, v_cols = v.sum(1, keepdim=True), v.sum(0).unsqueeze(-1)
            h = v.add_(k)
            if need_x:
                grad_x = _minus_scaled(h @ weight, x, v_rows, inplace)
            if need_w:
                grad_w = _minus_scaled(h.t() @ x, weight, v_cols, inplace)
        return grad_x, grad_w, grad_b, grad_a, None, None


def yat_product(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    alpha: Tensor | float | None = None,
    epsilon: float = 1e-5,
    bias_mode: str = "inside",
    kernel: str = "yat",
) -> Tensor:
    """ⵟ through the fast custom-backward path; same arguments and result as ``yat_reference``.

    ``kernel`` picks the ablation (``yat`` | ``square`` | ``distance``, see the module doc); the
    ablation kernels run through plain autograd (``yat_reference``) with the same dtype handling.

    Any leading batch dimensions of ``x`` are flattened and restored. fp16/bf16 inputs (or
    parameters) are computed in fp32 and the result is cast back to the input's dtype, saturating
    at its finite range. Otherwise everything is computed in ``x``'s dtype (as nmn does).
    """
    if bias_mode not in BIAS_MODES:
        raise UserError(f"unknown bias mode {bias_mode!r}; choose one of: {', '.join(BIAS_MODES)}")
    if kernel not in KERNELS:
        raise UserError(f"unknown kernel {kernel!r}; choose one of: {', '.join(KERNELS)}")
    if bias_mode == "none":
        bias = None
    out_dtype = x.dtype
    compute = torch.float32 if out_dtype in _HALF else out_dtype
    if isinstance(alpha, (int, float)):
        alpha = torch.full((1,), float(alpha), dtype=compute, device=x.device)
    flat = x.dim() != 2
    x2 = x.reshape(-1, x.shape[-1]) if flat else x
    x2, weight, bias, alpha = (_as(t, compute) for t in (x2, weight, bias, alpha))
    if kernel == "yat":
        y = _YatFunction.apply(x2, weight, bias, alpha, float(epsilon), bias_mode == "outside")[0]
    else:
        y = yat_reference(x2, weight, bias, alpha, float(epsilon), bias_mode, kernel)
    if out_dtype in _HALF:
        info = torch.finfo(out_dtype)
        y = y.clamp(min=info.min, max=info.max).to(out_dtype)
    return y.reshape(*x.shape[:-1], weight.shape[0]) if flat else y


def _as(t: Tensor | None, dtype: torch.dtype) -> Tensor | None:
    return t if t is None or t.dtype == dtype else t.to(dtype)


def _parse_alpha(alpha: str | float) -> str | float:
    """'learnable' | 'none' | a finite float (numbers may arrive as strings from configs)."""
    if isinstance(alpha, str):
        key = alpha.strip().lower()
        if key in ("learnable", "none"):
            return key
        try:
            value = float(key)
        except ValueError:
            value = None
    elif isinstance(alpha, (int, float)) and not isinstance(alpha, bool):
        value = float(alpha)
    else:
        value = None
    if value is None or not math.isfinite(value):
        raise UserError(f"invalid alpha {alpha!r}; choose one of: learnable, none, or a finite number")
    return value


class YatLayer(nn.Module):
    """A layer of Yat-product units: y_j = α (w_j·x + b_j)² / (‖w_j − x‖² + ε) (see module doc).

    Args:
        in_features: size d of each input.
        out_features: number of units m.
        bias: ``"inside"`` (b inside the square, nmn's default), ``"outside"`` (added after the
            ratio) or ``"none"``.
        alpha: ``"learnable"`` (a Parameter of shape (1,) initialised to 1, as nmn), ``"none"`` (no
            scaling) or a number (a fixed constant kept as a buffer; numeric strings are accepted).
        epsilon: ε > 0 in the denominator.
        kernel: ``"yat"`` (default), or an ablation: ``"square"`` (numerator alone) or
            ``"distance"`` (inverse distance alone); see the module doc.

    Parameters are named ``weight`` (out, in), ``bias`` (out,) and ``alpha`` (1,), so nmn's
    ``YatNMN`` state dict loads into a default ``YatLayer`` unchanged.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: str = "inside",
        alpha: str | float = "learnable",
        epsilon: float = 1e-5,
        kernel: str = "yat",
    ) -> None:
        super().__init__()
        if not isinstance(kernel, str) or kernel.strip().lower() not in KERNELS:
            raise UserError(f"invalid kernel {kernel!r}; choose one of: {', '.join(KERNELS)}")
        if not isinstance(bias, str) or bias.strip().lower() not in BIAS_MODES:
            raise UserError(f"invalid bias {bias!r}; choose one of: {', '.join(BIAS_MODES)}")
        try:
            epsilon = float(epsilon)
        except (TypeError, ValueError):
            epsilon = float("nan")
        if not (math.isfinite(epsilon) and epsilon > 0):
            raise UserError(f"invalid epsilon {epsilon!r}; it must be a finite number > 0")
        if int(in_features) < 1 or int(out_features) < 1:
            raise UserError(f"invalid layer size {in_features}→{out_features}; both must be ≥ 1")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.bias_mode = bias.strip().lower()
        self.alpha_mode = _parse_alpha(alpha)
        self.epsilon = epsilon
        self.kernel = kernel.strip().lower()

        self.weight = nn.Parameter(torch.empty(self.out_features, self.in_features))
        if self.bias_mode == "none":
            self.register_parameter("bias", None)
        else:
            self.bias = nn.Parameter(torch.empty(self.out_features))
        if self.alpha_mode == "learnable":
            self.alpha = nn.Parameter(torch.ones(1))
        elif self.alpha_mode == "none":
            self.register_parameter("alpha", None)
        else:
            self.register_buffer("alpha", torch.full((1,), float(self.alpha_mode)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """nmn's init: xavier-normal weight, bias U(−1/√d, 1/√d), learnable α = 1."""
        nn.init.xavier_normal_(self.weight)
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features)
            nn.init.uniform_(self.bias, -bound, bound)
        if isinstance(self.alpha, nn.Parameter):
            with torch.no_grad():
                self.alpha.fill_(1.0)

    def forward(self, x: Tensor) -> Tensor:
        """ⵟ of every unit for every input: (..., in_features) → (..., out_features)."""
        return yat_product(x, self.weight, self.bias, self.alpha, self.epsilon, self.bias_mode, self.kernel)

    def extra_repr(self) -> str:
        """Shown by ``print(module)``."""
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias_mode}, alpha={self.alpha_mode}, epsilon={self.epsilon:g}"
            + ("" if self.kernel == "yat" else f", kernel={self.kernel}")
        )
