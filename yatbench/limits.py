"""Resource limits: a model too large for this machine is refused before it is allocated.

The model is first built on PyTorch's ``meta`` device (shapes only, no memory), its
parameters counted and its training memory estimated: 16 bytes per parameter (fp32 weights,
gradients and two optimizer moments) plus 12 bytes per activation kept for backward (batch
rows × the output width of every weight matrix). Limits come from the config's ``limits``
block (``limits.max_params``, ``limits.max_memory_gb``; null = half this machine's RAM) and
are execution settings: they never change a run id.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from yatbench.errors import UserError

if TYPE_CHECKING:
    from torch import nn

BYTES_PER_PARAM = 16  # weight, gradient, two Adam moments, fp32
BYTES_PER_ACTIVATION = 12  # forward value, its gradient, one temporary, fp32
FALLBACK_RAM = 8 * 2**30


def machine_ram() -> int:
    """Physical memory of this machine in bytes (8 GiB where the platform cannot say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return FALLBACK_RAM


@dataclass
class Limits:
    """``max_params``: trainable parameters; ``max_memory_gb``: estimated training memory (null: half the RAM)."""

    max_params: int = 100_000_000
    max_memory_gb: float | None = None

    def __post_init__(self) -> None:
        if self.max_params < 1:
            raise UserError(f"limits.max_params={self.max_params} must be >= 1")
        if self.max_memory_gb is not None and not (math.isfinite(self.max_memory_gb) and self.max_memory_gb > 0):
            raise UserError(f"limits.max_memory_gb={self.max_memory_gb} must be a positive number or null "
                            "(half this machine's RAM)")

    @property
    def max_bytes(self) -> int:
        if self.max_memory_gb is None:
            return machine_ram() // 2
        return int(self.max_memory_gb * 2**30)


def estimate(build: Callable[[], nn.Module], batch: int) -> tuple[int, int]:
    """(trainable parameters, estimated training bytes) of the model ``build()`` makes, allocating nothing."""
    import torch  # here, not at the top: `yatbench list` reads configs without torch

    with torch.device("meta"):
        model = build()
    params = [p for p in model.parameters() if p.requires_grad]
    count = sum(p.numel() for p in params)
    widths = sum(p.shape[0] for p in params if p.ndim >= 2)
    return count, BYTES_PER_PARAM * count + BYTES_PER_ACTIVATION * batch * widths


def check_model_size(build: Callable[[], nn.Module], batch: int, limits: Limits, what: str) -> None:
    """Raise one :class:`UserError` line when the model ``build()`` makes exceeds ``limits``."""
    count, needed = estimate(build, batch)
    if count > limits.max_params:
        raise UserError(f"{what} has {count:,} parameters, over limits.max_params={limits.max_params:,}; "
                        "make it smaller or raise the limit (limits.max_params=N)")
    if needed > limits.max_bytes:
        raise UserError(f"{what} needs about {needed / 2**30:.1f} GiB to train, over the limit of "
                        f"{limits.max_bytes / 2**30:.1f} GiB; make it smaller or raise limits.max_memory_gb")
