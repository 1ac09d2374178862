"""A run's training settings (``conf/trainer/default.yaml``), read without torch: a config names them and
``yatbench sweep --dry-run`` checks them before torch is imported. The loop that applies them is
``yatbench/train/trainer.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from yatbench.core.errors import UserError

OPTIMIZERS = ("adam", "adamw", "sgd")
SEED_BATCHING = ("auto", "off")

# Adam's first step is lr / (1 − β₁) = 10 × lr, held by torch as a float32 scalar (at most 3.4e38): a larger
# lr is an overflow inside torch, not a run. Any lr near this bound diverges at once, so it takes nothing away.
MAX_LR = 1e30


@dataclass
class TrainerConfig:
    """Optimizer, budget and bookkeeping of one training run (``conf/trainer/default.yaml``)."""

    optimizer: str = "adam"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    epochs: int = 100
    patience: int = 20
    min_delta: float = 0.001
    loss_floor: float = 0.0
    batch_size: int = 0
    eval_every: int = 1
    progress: bool = True
    seed_batching: str = "auto"

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise UserError(f"trainer.optimizer={self.optimizer!r} is not valid; choose one of {', '.join(OPTIMIZERS)}")
        if self.seed_batching not in SEED_BATCHING:
            raise UserError(f"trainer.seed_batching={self.seed_batching!r} is not valid; "
                            f"choose one of {', '.join(SEED_BATCHING)}")
        for key in ("epochs", "eval_every", "patience"):
            if getattr(self, key) < 1:
                raise UserError(f"trainer.{key}={getattr(self, key)} must be >= 1")
        if self.batch_size < 0:
            raise UserError(f"trainer.batch_size={self.batch_size} must be >= 0 (0 = full batch)")
        if not self.lr > 0:
            raise UserError(f"trainer.lr={self.lr} must be > 0")
        if math.isfinite(self.lr) and self.lr > MAX_LR:  # inf is refused as not finite, with the others
            raise UserError(f"trainer.lr={self.lr} is over {MAX_LR:g}; no run learns at such a rate, and torch "
                            "cannot hold Adam's step for it in float32")
        if not 0 <= self.min_delta < 1:
            raise UserError(f"trainer.min_delta={self.min_delta} must be in [0, 1): the relative fall of the "
                            "validation loss that counts as an improvement")
        if not (0 <= self.loss_floor and math.isfinite(self.loss_floor)):
            raise UserError(f"trainer.loss_floor={self.loss_floor} must be a finite number >= 0")
        if self.weight_decay < 0:
            raise UserError(f"trainer.weight_decay={self.weight_decay} must be >= 0")
        if self.momentum < 0:
            raise UserError(f"trainer.momentum={self.momentum} must be >= 0")
