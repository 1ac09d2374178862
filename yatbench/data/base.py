"""What every dataset returns: in-memory train/validation/test tensors plus what a model and a report need."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from yatbench.core.record import VAL_KINDS

if TYPE_CHECKING:  # for annotations only: nothing here calls torch
    import torch

Task = Literal["classification", "regression", "pde"]
# What a dataset's validation set is (``Splits.val_kind``, one of ``VAL_KINDS``, recorded in the run's data facts):
# ``holdout``: samples carved from the training data and never trained on; ``train``: the training points
# themselves, where no hold-out exists (4-point XOR: the 4 points are the whole task); ``collocation``: a PDE's
# separate collocation and boundary points, drawn with their own generator, scored by the physics loss.


@dataclass
class Splits:
    """Train, validation and test tensors of one dataset, already on the CPU in float32.

    The validation set (``x_val``, ``y_val``, of the kind ``val_kind``, see :data:`VAL_KINDS`) is what the
    trainer selects on (early stopping, the best epoch); the test set is only ever scored, never selected on.

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
    x_val: torch.Tensor | None = None
    y_val: torch.Tensor | None = None
    val_kind: str = "holdout"
    eval_sets: dict[str, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict)
    image_shape: tuple[int, int] | None = None
    # How raw inputs were transformed before the model saw them (images: none | center | standardize).
    preprocess: str = "none"
    notes: list[str] = field(default_factory=list)
    # Data drawn from several laws (the compositional toy): which law made each test sample, and each
    # law's slope along input 0 in the units the model sees (yatbench/measures/labour.py measures against them).
    regime_test: torch.Tensor | None = None
    regime_slopes: list[float] = field(default_factory=list)
    # What training minimises, when not the task's criterion on model(x) vs y: a callable
    # ``objective(forward, x, target) -> (S,)`` (see ``yatbench/train/objective.py`` and ``yatbench/train/trainer.py``).
    objective: Callable[..., Any] | None = None
    # The test set is a grid of this (rows, cols) shape (PDE problems): drawn as solution.png.
    test_grid: tuple[int, ...] | None = None
    # Iterations of an L-BFGS phase after the configured optimizer (PINN practice; 0 = none): see
    # ``yatbench.train.trainer.phases_of``.
    lbfgs_steps: int = 0

    def __post_init__(self) -> None:
        if self.x_val is None or self.y_val is None:  # no validation set given: the training points are it
            self.x_val, self.y_val, self.val_kind = self.x_train, self.y_train, "train"
        if self.val_kind not in VAL_KINDS:
            raise ValueError(f"val_kind {self.val_kind!r} is not one of {', '.join(VAL_KINDS)}")
