"""What every dataset returns: in-memory train/test tensors plus what a model and a report need."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

import torch
from torch import nn

Task = Literal["classification", "regression", "pde"]


class Objective(Protocol):
    """A loss the data supplies instead of a supervised one (the PDE residual: ``yatbench/data/pde.py``)."""

    def to(self, device: torch.device) -> Objective: ...

    def losses(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """``loss`` (what is minimised) and any named parts of it, all scalars."""
        ...

    def residual_mse(self, model: nn.Module, x: torch.Tensor) -> float:
        """Mean squared residual at the rows of ``x``."""
        ...


@dataclass
class Splits:
    """Train and test tensors of one dataset, already on the CPU in float32.

    Classification targets are int64 class indices of shape (n,); with ``out_features`` 1
    the task is binary (one logit, trained with BCE), otherwise one logit per class.
    Regression targets are float32 of shape (n, out_features). A ``pde`` task has no training
    labels: ``objective`` supplies the loss (full batch) and the test targets are the exact
    solution on a grid, scored by the relative L2 error. ``eval_sets`` holds extra named test sets that a
    run evaluates and reports separately (the inversion test puts its inverted images
    here). ``source`` names where the data came from and is recorded with the results;
    ``notes`` are lines the run prints and records (e.g. which MNIST source ``auto`` chose).
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    task: Task
    in_features: int
    out_features: int
    source: str
    eval_sets: dict[str, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict)
    image_shape: tuple[int, int] | None = None
    # How raw inputs were transformed before the model saw them (images: none | center | standardize).
    preprocess: str = "none"
    notes: list[str] = field(default_factory=list)
    # XOR-style tasks: record whether every test point is right ("solved") and from which step.
    track_solved: bool = False
    # The inversion test also evaluates the model with its first-layer weights negated (w → −w).
    weight_negation: bool = False
    # Data drawn from several laws (the compositional toy): which law made each test sample, and each
    # law's slope along input 0 in the units the model sees (yatbench/labour.py measures against them).
    regime_test: torch.Tensor | None = None
    regime_slopes: list[float] = field(default_factory=list)
    # Physics-informed problems: the loss to minimise instead of the supervised one.
    objective: Objective | None = None
    # The test set is a grid of this (rows, cols) shape (PDE problems): drawn as solution.png.
    test_grid: tuple[int, ...] | None = None
