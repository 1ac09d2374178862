"""What every dataset returns: in-memory train/test tensors plus what a model and a report need."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

Task = Literal["classification", "regression", "pde"]


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
    # What training minimises, when not the task's criterion on model(x) vs y: a callable
    # ``objective(forward, x, target) -> (S,)`` (see ``yatbench/objective.py`` and ``yatbench/trainer.py``).
    objective: Callable[..., Any] | None = None
    # The test set is a grid of this (rows, cols) shape (PDE problems): drawn as solution.png.
    test_grid: tuple[int, ...] | None = None
    # Iterations of an L-BFGS phase after the configured optimizer (PINN practice; 0 = none): see
    # ``yatbench.trainer.phases_of``.
    lbfgs_steps: int = 0
