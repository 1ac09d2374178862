"""``YatNMN``: a drop-in for ``nmn.torch.YatNMN`` (nmn 0.3.5) on the Yat layer's accurate kernel.

An nmn user switches by changing one import (``from yatbench.nn import YatNMN``): the constructor,
the attribute names and the state dict are nmn's, so checkpoints load strictly both ways. The
arithmetic is ``yat_product`` (``yatbench/nn/yat.py``), the same kernel as ``YatLayer``.

For a weight row w (one output unit), an input x, a bias b and a scale α:

    y = α · (x·w + b)² / (‖x − w‖² + ε)

    bias:   b a learnable vector (``bias=True``, default), the fixed number ``constant_bias``,
            softplus(b) (``softplus_bias=True``), one b shared by every unit (``scalar_bias=True``)
            or absent (``bias=False``).
    α:      a learnable scalar initialised to 1 (``alpha=True``, default), the fixed number
            ``constant_alpha`` (``True`` means √2) or absent (``alpha=False``).
    ε:      the number ``epsilon`` > 0 (default 1e-5), or with ``learnable_epsilon=True``
            ε = max(softplus(θ), tiny) for a parameter θ = ``epsilon_param`` of shape (1,) with
            softplus(θ₀) = ``epsilon``.

What differs from nmn, and why:

* Accuracy at x ≈ w. nmn computes ‖x − w‖² as ‖x‖² + ‖w‖² − 2x·w, clamped at 0; next to a
  true distance of order ε that expansion cancels (nmn's output at x = w is ~10 % off in fp32,
  its gradients several times off just beside it). This layer recomputes the cancelled entries
  from the difference (``yatbench/nn/cancellation.py``): a few ulp there, ~1e-5 relative elsewhere.
* ε learned: nmn's parametrisation (softplus of a raw parameter, so an nmn checkpoint's raw value
  means the same ε here), with a floor at the dtype's smallest normal number: softplus underflows
  to exactly 0 for θ < −104 (fp32), and ε = 0 divides by zero at x = w, where this layer's
  distance is exactly 0. Above the floor the two are identical. The raw value is kept in at
  least fp32 (also after ``.half()`` / ``.to(dtype)``), as nmn does.
* A number α (``constant_alpha``) is applied as that number in the compute dtype — exact in
  float64 — and is not in the state dict (nmn's keys: ``weight``, ``bias``, ``alpha``,
  ``epsilon_param``, each only when it is a parameter).
* Half precision. ``dtype=None`` (default): yatbench's policy, the result of an fp16/bf16 input is
  computed and returned in fp32 (ⵟ reaches ‖w‖⁴/ε, beyond fp16's range). ``dtype=torch.float16``
  (or bfloat16): nmn's, computed in fp32 and returned in that dtype, clamped to its finite range.
  Any other ``dtype`` casts the input (and so the computation) to it, as nmn.
* ``torch.jit.trace`` records a branch-free form of the same repair (``yat_reference(...,
  traceable=True)``): the traced module keeps the accuracy at x = w, with or without gradients.
* Not offered (they raise a ``ValueError`` naming them): ``spherical``, ``weight_normalized`` and
  ``tie_kernel_bank``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from yatbench.core.errors import UserValueError
from yatbench.nn.yat import inverse_softplus, learned_epsilon, parse_epsilon, yat_product

__all__ = ["YatNMN"]

_HALF = (torch.float16, torch.bfloat16)
# A learned ε must stay a normal, nonzero softplus value in its storage dtype (fp16/bf16 store fp32).
_EPSILON_RANGE = {torch.float32: (2.0**-125, torch.finfo(torch.float32).max),
                  torch.float64: (torch.finfo(torch.float64).tiny, torch.finfo(torch.float64).max)}


class YatNMN(nn.Module):
    """Yat-product units with nmn 0.3.5's constructor and state dict: y = α (x·w + b)² / (‖x − w‖² + ε).

    Args (nmn's): ``in_features``, ``out_features``; ``bias``, ``constant_bias``, ``softplus_bias``,
    ``scalar_bias``; ``alpha``, ``constant_alpha``; ``dtype`` (compute dtype, see the module doc),
    ``param_dtype`` (parameter storage), ``device``; ``epsilon``, ``learnable_epsilon``;
    ``positive_init`` (|weight| after init), ``lazy`` / ``freeze_kernel`` (weight frozen);
    ``kernel_init`` (default xavier-normal), ``bias_init`` (default U(−1/√d, 1/√d)), ``alpha_init``
    (default 1). ``spherical``, ``weight_normalized`` and ``tie_kernel_bank`` must stay False.
    """

    DEFAULT_CONSTANT_ALPHA = math.sqrt(2.0)

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        constant_bias: float | None = None,
        softplus_bias: bool = False,
        scalar_bias: bool = False,
        alpha: bool = True,
        constant_alpha: bool | float | None = None,
        dtype: torch.dtype | None = None,
        param_dtype: torch.dtype = torch.float32,
        epsilon: float = 1e-5,
        learnable_epsilon: bool = False,
        spherical: bool = False,
        positive_init: bool = False,
        weight_normalized: bool = False,
        lazy: bool = False,
        freeze_kernel: bool = False,
        tie_kernel_bank: bool = False,
        kernel_bank_size: int | None = None,
        kernel_bank_id: str = "default",
        kernel_init: Callable[[Tensor], object] | None = None,
        bias_init: Callable[[Tensor], object] | None = None,
        alpha_init: Callable[[Tensor], object] | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        refused = [name for name, value in (("spherical", spherical), ("weight_normalized", weight_normalized),
                                            ("tie_kernel_bank", tie_kernel_bank)) if value]
        if refused:
            raise UserValueError(f"yatbench's YatNMN does not offer {', '.join(f'{n}=True' for n in refused)}; "
                                 "use nmn.torch.YatNMN for it")
        self.in_features = in_features
        self.out_features = out_features
        self.dtype = dtype
        self.param_dtype = param_dtype
        self.epsilon = float(parse_epsilon(epsilon, learnable=False))  # nmn learns ε via learnable_epsilon
        self.learnable_epsilon = bool(learnable_epsilon)
        if self.learnable_epsilon:
            storage = torch.float32 if param_dtype in _HALF else param_dtype
            low, high = _EPSILON_RANGE.get(storage, _EPSILON_RANGE[torch.float32])
            if not low <= self.epsilon <= high:
                raise UserValueError(f"epsilon {self.epsilon} is not representable as a finite, strictly positive "
                                     f"{str(storage).removeprefix('torch.')} learnable parameter")
            self.epsilon_param = nn.Parameter(
                torch.full((1,), inverse_softplus(self.epsilon), dtype=storage, device=device))
        else:
            self.register_parameter("epsilon_param", None)
        self.spherical = spherical
        self.positive_init = positive_init
        self.weight_normalized = weight_normalized
        self.lazy = bool(lazy or freeze_kernel)
        self.tie_kernel_bank = tie_kernel_bank
        self.kernel_bank_size = kernel_bank_size
        self.kernel_bank_id = kernel_bank_id

        self.weight = nn.Parameter(torch.empty((out_features, in_features), dtype=param_dtype, device=device))

        # α: constant_alpha (True → √2, or a number; False/None → not constant) before alpha.
        self._constant_alpha_value: float | None = None
        if constant_alpha is not None and constant_alpha is not False:
            self._constant_alpha_value = (self.DEFAULT_CONSTANT_ALPHA if constant_alpha is True
                                          else float(constant_alpha))
            self.register_parameter("alpha", None)
            alpha = True
        elif alpha:
            self.alpha = nn.Parameter(torch.ones((1,), dtype=param_dtype, device=device))
        else:
            self.register_parameter("alpha", None)
        self.use_alpha = alpha
        self.constant_alpha = constant_alpha

        # Bias: constant_bias (a number; False/None → not constant) before bias.
        self._constant_bias_value: float | None = None
        if constant_bias is not None and constant_bias is not False:
            self._constant_bias_value = float(constant_bias)
            self.register_parameter("bias", None)
            bias = True
        elif bias:
            shape = (1,) if scalar_bias else (out_features,)
            self.bias = nn.Parameter(torch.empty(shape, dtype=param_dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.use_bias = bias
        self.constant_bias = constant_bias
        self.softplus_bias = bool(softplus_bias) and self.bias is not None
        self.scalar_bias = bool(scalar_bias) and self.bias is not None

        self.reset_parameters(kernel_init, bias_init, alpha_init)
        if self.lazy:  # last, so that it survives the initialisers
            self.weight.requires_grad_(False)

    def reset_parameters(
        self,
        kernel_init: Callable[[Tensor], object] | None = None,
        bias_init: Callable[[Tensor], object] | None = None,
        alpha_init: Callable[[Tensor], object] | None = None,
        *,
        initialize_kernel: bool = True,
    ) -> None:
        """nmn's initialisation, in nmn's order (same seed → same numbers): weight, bias, α."""
        if initialize_kernel:
            (kernel_init or nn.init.xavier_normal_)(self.weight)
            if self.positive_init:
                with torch.no_grad():
                    self.weight.abs_()
        if self.bias is not None:
            if bias_init is None:
                fan_in, _ = nn.init._calculate_fan_in_and_fan_out(self.weight)
                bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
                nn.init.uniform_(self.bias, -bound, bound)
            else:
                bias_init(self.bias)
        if self.alpha is not None:
            if alpha_init is None:
                with torch.no_grad():
                    self.alpha.fill_(1.0)
            else:
                alpha_init(self.alpha)

    def _bias(self) -> Tensor | None:
        """The b of the formula, one per unit (or None)."""
        if self._constant_bias_value is not None:
            return torch.full((self.out_features,), self._constant_bias_value, dtype=self.param_dtype,
                              device=self.weight.device)
        bias = self.bias
        if bias is None:
            return None
        if self.softplus_bias:
            bias = F.softplus(bias)
        return bias.expand(self.out_features) if self.scalar_bias else bias

    def forward(self, x: Tensor) -> Tensor:
        """y for every unit and input: (..., in_features) → (..., out_features)."""
        if self.dtype is not None and x.dtype != self.dtype:
            x = x.to(self.dtype)
        bias = self._bias()
        alpha = self._constant_alpha_value if self._constant_alpha_value is not None else self.alpha
        eps = self.epsilon if self.epsilon_param is None else learned_epsilon(self.epsilon_param, x.dtype)
        y = yat_product(x, self.weight, bias, alpha, eps, "inside" if bias is not None else "none")
        if self.dtype in _HALF:  # nmn's policy, asked for by dtype=: back to the half dtype, saturated
            limits = torch.finfo(self.dtype)
            y = y.clamp(min=limits.min, max=limits.max).to(self.dtype)
        return y

    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> YatNMN:
        """``.to()``, ``.half()``, … move a learned ε's raw value to the new device but keep its dtype
        (at least fp32): a half ε would round the small values it exists for to 0."""
        raw = self._parameters.get("epsilon_param")
        if raw is None:
            return super()._apply(fn, recurse)
        self._parameters["epsilon_param"] = None
        try:
            result = super()._apply(fn, recurse)
        finally:
            self._parameters["epsilon_param"] = raw
        device = fn(torch.empty(0, device=raw.device, dtype=raw.dtype)).device
        with torch.no_grad():
            raw.data = raw.data.to(device=device)
            if raw.grad is not None:
                raw.grad.data = raw.grad.data.to(device=device)
        return result

    def extra_repr(self) -> str:
        """nmn's ``print(module)`` line."""
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}, alpha={self.alpha is not None}, "
                f"constant_alpha={self.constant_alpha}, lazy={self.lazy}, spherical={self.spherical}, "
                f"dtype={self.dtype}, param_dtype={self.param_dtype}")
