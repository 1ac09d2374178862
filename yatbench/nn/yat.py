"""The Yat-product layer ⵟ: one layer, its math here.

The arithmetic is in ``yat_function.py`` (the fast path), ``cancellation.py`` (the repair near x = w)
and ``yat_reference.py`` (the formula by plain autograd, and the ablation kernels).

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
ablation kernels are controls, not speed paths: they run through plain autograd
(``yat_reference``), with the same accurate distance.

The numerator rewards alignment (it is a squared dot product), the denominator rewards
proximity, so a unit fires most for inputs that point like w *and* sit near it; with b = 0
the maximum over x is ‖w‖⁴/ε + ‖w‖², reached at x = (1 + ε/‖w‖²)·w. Outputs are ≥ 0
whenever α ≥ 0 (and the bias is not outside).

Batched over a matrix X (N×d) and weights W (m×d), with s = X Wᵀ (the one GEMM):

    z = s + b                     (inside; z = s otherwise)
    D = ‖x‖² + ‖w‖² − 2 s         (distance by expansion: reuses s)
    y = α z² / (D + ε)  [+ b when outside]

Accuracy where prototypes live (x ≈ w). The expansion loses to cancellation exactly there: its
rounding error is a few ulp of ‖x‖² + ‖w‖² (+ 2|b|), which next to a true D + ε of order ε is
an error of 10–100 % in fp32. So every entry whose expanded D + ε falls below
κ·(‖x‖² + ‖w‖² + 2|b|), κ = 2⁻⁶, is *recomputed directly* as ‖x − w‖² from the difference; an
entry kept has relative error ≲ few·u/κ ≈ 1e-5 (u = 6e-8), an entry recomputed a few ulp. One
row-wise minimum screens the rows, so the repair costs a reduction when nothing cancels; in
backward the same entries are found again (nothing extra is saved) and their distance-gradient
terms ∓2V(x − w) are taken from the difference too, since the GEMM form H W − 2x ΣV cancels the
same way. The repaired distance is ≥ 0 by construction: there is no clamp. ε must be > 0.

Precision. fp16 / bf16 inputs (or parameters) are computed in fp32 and the result is returned in
**fp32**: ⵟ reaches ‖w‖⁴/ε (4e5 for a unit-scale w of d = 784), beyond fp16's 65 504, and its
small values underflow fp16 — the convention autocast uses for ops whose range exceeds fp16
(``pow``, ``exp``, ``cdist``, … run and return in fp32). Under ``torch.autocast`` the layer
runs with autocast disabled, in fp32 (its GEMM included), and returns fp32. Gradients reach a
half input in its own dtype (autograd casts them back), as for any autocast fp32 op.

Stacks (seed batching). ``yat_product`` also takes S stacked layers at once: x (S, N, d) (or
(S, …, d)), weight (S, m, d), bias (S, m), alpha (S, 1) or (1,) → (S, N, m); same arithmetic
(batched GEMMs), same accuracy, one call.

torch.func. ``grad``, ``functional_call``, ``vjp``/``jacrev`` and ``vmap`` over α or the output
gradient go through the fast path. ``vmap`` over x, the weight or the bias cannot pick entries by
value (data-dependent shapes), so there the layer computes the same formula by plain autograd
*without* the repair (the expansion, clamped at 0: accurate away from x ≈ w, as nmn); to batch
stacked layers accurately, pass the stacked tensors directly (above).

Learned ε (``epsilon="learnable"``). ε = max(softplus(θ), tiny) for one raw parameter θ per layer,
``epsilon_param`` (1,), starting at softplus(θ₀) = 1e-5: nmn's parametrisation, so a raw value
means the same ε in both, with a floor at the dtype's smallest normal number (softplus
underflows to exactly 0 for θ < −104 in fp32, and ε = 0 divides by zero at x = w, where the
repaired distance is exactly 0). ε enters only as D + ε, so ∂L/∂ε = ∂L/∂D = −Σ V (notation of
``yat_backward``): the fast path returns it from the V it already forms. Under Adam θ moves by
about the learning rate per step, i.e. log ε does: from 1e-5, 1 000 steps at lr 1e-3 move ε by a
factor of e at most.

Tracing. ``torch.jit.trace`` records one path and replays it for every input, so the
value-dependent repair above (which entries, how many) cannot be recorded. While tracing, the
layer computes the same formula by plain autograd with the repair made branch-free: the direct
distance of every pair (``torch.cdist`` without its GEMM shortcut) is formed and ``torch.where``
keeps it exactly where the screen would have recomputed an entry. The traced (and saved, and
loaded) module therefore keeps the accuracy at x = w, with or without gradients, for any batch
size; it costs an N×m×d pass that eager mode avoids.

A number α is applied as that number, in the compute dtype. ``YatLayer`` keeps it as a buffer
named ``alpha`` (fp32, so after ``.double()`` it is off by up to one fp32 ulp); it stays, because
the ``model.pt`` of every run with a numeric α holds that key. ``YatNMN`` (``yat_nmn.py``, nmn's
constructor and state dict) multiplies by the Python float: exact in every dtype, no key.

Defaults follow ``nmn.torch.nmn.YatNMN`` (nmn ≥ 0.3): bias inside the square, ε = 1e-5, a
learnable α of shape (1,) initialised to 1 and applied as a plain product (nmn has no extra
sqrt(out)/log(1+out) factor on the learnable α; its ``constant_alpha=True`` option uses √2,
which is not our default), xavier-normal weight of shape (out, in), bias U(−1/√d, 1/√d). On
generic inputs the two agree to fp32 rounding; near x ≈ w nmn's expanded distance cancels and
this layer's does not.

Speed. Linear+ReLU costs one GEMM forward and two backward and keeps one N×m tensor for
backward. ``YatFunction`` has the same shape of cost: it keeps x, W (which autograd keeps for
Linear too), the N×m tensor z, and two vectors; backward recomputes the elementwise quantities
from z and does the two GEMMs (one when the input needs no gradient). On top of Linear it pays
‖x‖² and ‖w‖² (one pass over x and W), two N×d / m×d passes in backward, and six N×m
elementwise passes forward and eleven backward; at small sizes the per-op dispatch dominates,
so the eager path keeps the op count low (no reshape nodes for 2-D input, no extra Function
outputs). The gradient derivation is in the comments of ``yat_backward``. ``YATBENCH_KERNEL=numba``
runs the elementwise passes as two fused numba kernels instead (``yat_fused.py``, chosen per call in
``_dispatch``; ``yatbench/nn/kernel_impl.py`` says when and why eager is the default). It is twice
differentiable: a backward run with ``create_graph=True`` rebuilds its intermediates from the
inputs and builds a graph (physics-informed losses, ∂²y/∂x²).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from yatbench.core.errors import UserError, UserValueError
from yatbench.core.yat_options import BIAS_MODES, KERNELS, parse_alpha, parse_epsilon
from yatbench.nn.cancellation import transforms_active, vmapped
from yatbench.nn.kernel_impl import fused_applies, kernel_impl
from yatbench.nn.yat_function import YatFunction, YatFunctionTransformable, yat_forward
from yatbench.nn.yat_reference import yat_reference

__all__ = ["BIAS_MODES", "KERNELS", "YatLayer", "inverse_softplus", "learned_epsilon", "yat_product", "yat_reference"]

_HALF = (torch.float16, torch.bfloat16)
_FUSED_DTYPES = (torch.float32, torch.float64)
# A learned ε starts at nmn's default.
LEARNABLE_EPSILON_INIT = 1e-5


def inverse_softplus(epsilon: float) -> float:
    """The raw value r with softplus(r) = ε, computed as ε + log(1 − e^(−ε)): no cancellation for a tiny ε
    (log(e^ε − 1) loses it) and no overflow for a large one."""
    return epsilon + math.log(-math.expm1(-epsilon))


def learned_epsilon(raw: Tensor, like: torch.dtype) -> Tensor:
    """ε = max(softplus(raw), tiny), in the wider of the raw value's dtype and ``like``.

    nmn's parametrisation (softplus of a raw parameter ``epsilon_param``, so a checkpoint's raw
    value means the same ε in both) with a floor at the dtype's smallest normal number: softplus
    underflows to exactly 0 once raw < −104 (fp32), and with ε = 0 the unit divides by zero at
    x = w, where this layer's distance is exactly 0. The floor changes nothing above it.
    """
    dtype = torch.promote_types(raw.dtype, like)
    return F.softplus(raw if raw.dtype == dtype else raw.to(dtype)).clamp_min(torch.finfo(dtype).tiny)


def yat_product(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    alpha: Tensor | float | None = None,
    epsilon: float | Tensor = 1e-5,
    bias_mode: str = "inside",
    kernel: str = "yat",
) -> Tensor:
    """ⵟ through the fast custom-backward path; same arguments and result as ``yat_reference``.

    ``x`` (..., d) with ``weight`` (m, d) → (..., m); or S stacked layers: x (S, ..., d), weight
    (S, m, d), bias (S, m), alpha (S, 1) or (1,) → (S, ..., m). fp16/bf16 inputs and autocast
    compute and return fp32 (see the module doc); otherwise everything is in ``x``'s dtype.
    ``kernel`` picks the ablation (``yat`` | ``square`` | ``distance``); the ablation kernels
    run through plain autograd (``yat_reference``) with the same dtype handling. ``epsilon`` is a
    number, or a tensor ((1,), or (S, 1) for a stack) when it is learned (it then gets a gradient).
    A number α multiplies as that number in the compute dtype (exact in float64).
    """
    if bias_mode not in BIAS_MODES:
        raise UserError(f"unknown bias mode {bias_mode!r}; choose one of: {', '.join(BIAS_MODES)}")
    if kernel not in KERNELS:
        raise UserError(f"unknown kernel {kernel!r}; choose one of: {', '.join(KERNELS)}")
    if bias_mode == "none":
        bias = None
    autocast = torch.is_autocast_enabled(x.device.type)
    compute = torch.float32 if (x.dtype in _HALF or autocast) else x.dtype
    if isinstance(alpha, (int, float)):
        alpha = torch.full((1,), float(alpha), dtype=compute, device=x.device)
    stacked = weight.dim() == 3
    flat = x.dim() == (3 if stacked else 2)  # (S,) N × d already: no reshape, no extra graph node
    x2 = x if flat else x.reshape(x.shape[0], -1, x.shape[-1]) if stacked else x.reshape(-1, x.shape[-1])
    eps = _as(epsilon, compute) if isinstance(epsilon, Tensor) else float(epsilon)
    x2, weight, bias, alpha = (_as(t, compute) for t in (x2, weight, bias, alpha))
    if autocast:
        with torch.autocast(x.device.type, enabled=False):
            y = _dispatch(x2, weight, bias, alpha, eps, bias_mode, kernel)
    else:
        y = _dispatch(x2, weight, bias, alpha, eps, bias_mode, kernel)
    if flat:
        return y
    m = weight.shape[-2]
    return y.reshape(*x.shape[:-1], m)


def _dispatch(
    x: Tensor, weight: Tensor, bias: Tensor | None, alpha: Tensor | None, eps: float | Tensor, bias_mode: str,
    kernel: str
) -> Tensor:
    """The custom Function in eager mode, its transformable form under torch.func, plain autograd
    for the ablation kernels and for vmap over x, the weight or the bias, and the trace-friendly
    formula while ``torch.jit.trace`` records (see the module doc)."""
    if torch.jit.is_tracing():
        return yat_reference(x, weight, bias, alpha, eps, bias_mode, kernel, traceable=True)
    if kernel != "yat":
        return yat_reference(x, weight, bias, alpha, eps, bias_mode, kernel)
    if not transforms_active():
        outside = bias_mode == "outside"
        if fused_applies(kernel_impl(), x.device.type, x.dtype in _FUSED_DTYPES):
            from yatbench.nn.yat_fused import YatFusedFunction, fused_forward  # numba: only where it runs

            if not torch.is_grad_enabled():
                return fused_forward(x, weight, bias, alpha, eps, outside)[0]
            return YatFusedFunction.apply(x, weight, bias, alpha, eps, outside)
        if not torch.is_grad_enabled():  # evaluation: the same forward, without a graph node's bookkeeping
            return yat_forward(x, weight, bias, alpha, eps, outside, inplace=True)[0]
        return YatFunction.apply(x, weight, bias, alpha, eps, outside)
    if vmapped(x, weight, bias):
        return yat_reference(x, weight, bias, alpha, eps, bias_mode, kernel)
    return YatFunctionTransformable.apply(x, weight, bias, alpha, eps, bias_mode == "outside")[0]


def _as(t: Tensor | None, dtype: torch.dtype) -> Tensor | None:
    return t if t is None or t.dtype == dtype else t.to(dtype)


class YatLayer(nn.Module):
    """A layer of Yat-product units: y_j = α (w_j·x + b_j)² / (‖w_j − x‖² + ε) (see module doc).

    Args:
        in_features: size d of each input.
        out_features: number of units m.
        bias: ``"inside"`` (b inside the square, nmn's default), ``"outside"`` (added after the
            ratio) or ``"none"``.
        alpha: ``"learnable"`` (a Parameter of shape (1,) initialised to 1, as nmn), ``"none"`` (no
            scaling) or a number (a fixed constant kept as a buffer; numeric strings are accepted).
        epsilon: ε > 0 in the denominator, or ``"learnable"``: a parameter ``epsilon_param`` (1,) with
            ε = softplus(epsilon_param) (nmn's parametrisation, floored, see ``learned_epsilon``),
            starting at ε = 1e-5; one parameter more per layer.
        kernel: ``"yat"`` (default), or an ablation: ``"square"`` (numerator alone) or
            ``"distance"`` (inverse distance alone); see the module doc.

    Parameters are named ``weight`` (out, in), ``bias`` (out,), ``alpha`` (1,) and ``epsilon_param``
    (1,), so nmn's ``YatNMN`` state dict loads into a ``YatLayer`` of the same learnable options
    unchanged. A numeric α is a buffer here (nmn has no key for it): for nmn's constructor and
    state dict in every mode, use ``YatNMN`` (``yatbench/nn/yat_nmn.py``).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: str = "inside",
        alpha: str | float = "learnable",
        epsilon: float | str = 1e-5,
        kernel: str = "yat",
    ) -> None:
        super().__init__()
        if not isinstance(kernel, str) or kernel.strip().lower() not in KERNELS:
            raise UserError(f"invalid kernel {kernel!r}; choose one of: {', '.join(KERNELS)}")
        if not isinstance(bias, str) or bias.strip().lower() not in BIAS_MODES:
            raise UserError(f"invalid bias {bias!r}; choose one of: {', '.join(BIAS_MODES)}")
        learnable = parse_epsilon(epsilon) == "learnable"
        if learnable and kernel.strip().lower() == "square":
            raise UserValueError("epsilon='learnable' has nothing to learn with kernel='square' (no ε in it)")
        epsilon = LEARNABLE_EPSILON_INIT if learnable else float(epsilon)
        if int(in_features) < 1 or int(out_features) < 1:
            raise UserError(f"invalid layer size {in_features}→{out_features}; both must be ≥ 1")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.bias_mode = bias.strip().lower()
        self.alpha_mode = parse_alpha(alpha)
        self.epsilon = epsilon  # the fixed ε, or a learned ε's starting value
        self.learnable_epsilon = learnable
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
        if learnable:
            self.epsilon_param = nn.Parameter(torch.full((1,), inverse_softplus(epsilon)))
        else:
            self.register_parameter("epsilon_param", None)
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
        if self.epsilon_param is not None:
            with torch.no_grad():
                self.epsilon_param.fill_(inverse_softplus(self.epsilon))

    def effective_epsilon(self, raw: Tensor | None, like: torch.dtype) -> float | Tensor:
        """The ε this layer uses: the fixed number, or softplus of ``raw`` (its own or a stack's (S, 1))."""
        return self.epsilon if raw is None else learned_epsilon(raw, like)

    def forward(self, x: Tensor) -> Tensor:
        """ⵟ of every unit for every input: (..., in_features) → (..., out_features)."""
        eps = self.effective_epsilon(self.epsilon_param, x.dtype)
        return yat_product(x, self.weight, self.bias, self.alpha, eps, self.bias_mode, self.kernel)

    def extra_repr(self) -> str:
        """Shown by ``print(module)``."""
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias_mode}, alpha={self.alpha_mode}, "
            + (f"epsilon=learnable (from {self.epsilon:g})" if self.learnable_epsilon else f"epsilon={self.epsilon:g}")
            + ("" if self.kernel == "yat" else f", kernel={self.kernel}")
        )
