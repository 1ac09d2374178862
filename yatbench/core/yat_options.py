"""The Yat layer's options, read without torch: a model config names them (``model.bias``, ``model.alpha``,
``model.epsilon``, ``model.kernel``) and ``yatbench sweep --dry-run`` checks them before torch is imported.

The layer (``yatbench/nn/yat.py``) applies them; this module only says which values are valid.
"""

from __future__ import annotations

import math

from yatbench.core.errors import UserError, UserValueError

BIAS_MODES = ("inside", "outside", "none")
KERNELS = ("yat", "square", "distance")
FLOAT32_MAX = 3.4028234663852886e38  # torch.finfo(torch.float32).max: a fixed α lives in a float32 buffer


def parse_alpha(alpha: str | float) -> str | float:
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
    if value is None or not math.isfinite(value) or abs(value) > FLOAT32_MAX:
        raise UserError(f"invalid alpha {alpha!r}; choose one of: learnable, none, or a finite (float32) number")
    return value


def parse_epsilon(epsilon: object, learnable: bool = True) -> float | str:
    """'learnable' (where ``learnable`` allows it) or a finite ε > 0 (numbers may arrive as strings from configs);
    else a ``UserValueError`` (a ``ValueError`` too) whose one line says why."""
    if learnable and isinstance(epsilon, str) and epsilon.strip().lower() == "learnable":
        return "learnable"
    try:
        value = float(epsilon) if not isinstance(epsilon, bool) else math.nan
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise UserValueError(f"epsilon must be positive and finite{' (or learnable)' if learnable else ''}, "
                             f"got {epsilon!r}")
    return value
