"""Adam and AdamW as torch computes them on a CPU, without the Python torch wraps around each step.

A small network's training step is mostly per-operation overhead, and ``torch.optim.Adam.step`` adds its own:
the profiling wrapper, the compiler guard, the grouping of parameters into lists, a dispatch on
``foreach``/``fused``/``capturable``, and the checks of every option yatbench never sets. On XOR's stacked
parameters (one flat buffer, ``yatbench/train/replicas.py``) a step took 38–40 µs without the compiler guard and
53 µs with it, against 21 µs for the arithmetic alone (one thread, torch 2.14, best of 7 × 3 000): 3–5 % of a
0.6 ms XOR training step.

:class:`LeanAdam` *is* a ``torch.optim.Adam`` (its param groups, state and ``state_dict`` are torch's, and
:meth:`LeanAdam.step` takes a closure as torch's does); :meth:`LeanAdam.update` is the step of torch's default
CPU path (``_single_tensor_adam`` without amsgrad, maximize, capturable or differentiable), operation for
operation as torch 2.14 runs them, so a parameter takes the same bits either way (``tests/test_adam.py`` compares
them step by step against the installed torch). torch has changed these ops before (the first moment was
``mul_(β₁).add_(g, 1 − β₁)`` before it was ``lerp_``); a torch that changes them again fails that test, and
:class:`LeanAdam` is then still Adam, no longer torch's bits.
For the t-th step, with g the gradient, β₁, β₂, ε, lr and weight decay λ of its group:

    t ← t + 1;  g ← g + λθ (Adam)  or  θ ← θ(1 − lr·λ) (AdamW: decoupled)
    m ← m + (1 − β₁)(g − m)            (``lerp_``)
    v ← β₂ v + (1 − β₂) g²
    θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor


class LeanAdam(torch.optim.Adam):
    """``torch.optim.Adam`` (``decoupled=True``: ``torch.optim.AdamW``) over CPU tensors, stepped by :meth:`update`.

    Only lr, weight decay and its kind are chosen; torch's other options (betas, eps, amsgrad, maximize, …) keep
    their defaults, and :meth:`update` reads betas and eps from each group.
    """

    def __init__(self, params: Iterable[Tensor], lr: float, weight_decay: float = 0.0, decoupled: bool = False) -> None:
        super().__init__(params, lr=lr, weight_decay=weight_decay, decoupled_weight_decay=decoupled)
        if not all(self.takes(group["params"]) for group in self.param_groups):
            raise ValueError("LeanAdam steps real CPU tensors; torch.optim.Adam takes the others")

    @staticmethod
    def takes(params: Iterable[Tensor]) -> bool:
        """Whether every tensor of ``params`` is one LeanAdam steps: real floating point, on the CPU."""
        return all(p.device.type == "cpu" and p.dtype.is_floating_point for p in params)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """torch's ``step``: the closure's loss (evaluated first, with grad enabled), after :meth:`update`."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        self.update()
        return loss

    def update(self) -> None:
        """One Adam step of every parameter that has a gradient (see the module docstring)."""
        with torch.no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                lr, decay, eps = group["lr"], group["weight_decay"], group["eps"]
                for param in group["params"]:
                    grad = param.grad
                    if grad is None:
                        continue
                    state = self.state[param]
                    if not state:  # as torch's lazy initialisation: the step count a CPU scalar of the default dtype
                        state["step"] = torch.tensor(0.0, dtype=_scalar_dtype())
                        state["exp_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
                        state["exp_avg_sq"] = torch.zeros_like(param, memory_format=torch.preserve_format)
                    count, exp_avg, exp_avg_sq = state["step"], state["exp_avg"], state["exp_avg_sq"]
                    count += 1
                    if decay != 0:
                        if group["decoupled_weight_decay"]:
                            param.mul_(1 - lr * decay)
                        else:
                            grad = grad.add(param, alpha=decay)
                    exp_avg.lerp_(grad, 1 - beta1)
                    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                    t = count.item()
                    step_size = lr / (1 - beta1**t)
                    denom = (exp_avg_sq.sqrt() / (1 - beta2**t) ** 0.5).add_(eps)
                    param.addcdiv_(exp_avg, denom, value=-step_size)


def _scalar_dtype() -> torch.dtype:
    """The dtype torch keeps an Adam step count in off the fused path: float64 under a float64 default, else float32."""
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
