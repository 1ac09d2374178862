"""What a run minimises and how it is scored: per-seed losses, the default objective, set metrics.

Every function here works on a leading seed dimension: outputs are (S, N, out), targets (S, N, ...),
losses (S,). Each seed's number is computed from its own slice only, so it does not depend on how
many seeds were computed beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from yatbench.core.record import HEADLINE
from yatbench.data.base import Splits

# ``objective(forward, x, target) -> (S,)``: each seed's training loss on one batch, where
# ``forward`` maps x (S, N, in) to the model outputs (S, N, out). See ``yatbench/train/trainer.py``.
Objective = Callable[[Callable[[Tensor], Tensor], Tensor, Tensor], Tensor]


def loss_function(splits: Splits) -> nn.Module:
    """Cross-entropy over classes, BCE for a single binary logit, MSE for regression and a PDE's test grid."""
    if splits.task in ("regression", "pde"):
        return nn.MSELoss()
    return nn.BCEWithLogitsLoss() if splits.out_features == 1 else nn.CrossEntropyLoss()


def loss_target(y: Tensor, splits: Splits) -> Tensor:
    """Targets in the form the loss wants: float column for BCE, indices for cross-entropy."""
    if splits.task == "classification" and splits.out_features == 1:
        return y.float().unsqueeze(-1)
    return y


def per_seed_loss(output: Tensor, target: Tensor, splits: Splits) -> Tensor:
    """Each seed's mean loss, (S,), for outputs (S, N, out): the criterion of :func:`loss_function`."""
    if splits.task in ("regression", "pde"):
        losses = F.mse_loss(output, target, reduction="none")
    elif splits.out_features == 1:
        losses = F.binary_cross_entropy_with_logits(output, target, reduction="none")
    else:  # classes last, one row per sample: log-softmax works row by row
        losses = F.cross_entropy(output.flatten(0, 1), target.flatten(), reduction="none")
    return losses.reshape(output.shape[0], -1).mean(1)


def default_objective(splits: Splits) -> Objective:
    """The supervised objective: the task's criterion on ``forward(x)`` against the targets."""

    def objective(forward: Callable[[Tensor], Tensor], x: Tensor, target: Tensor) -> Tensor:
        return per_seed_loss(forward(x), target, splits)

    return objective


def predict_classes(logits: Tensor) -> Tensor:
    """Class index per row: the sign of a single binary logit, else the argmax."""
    return (logits.squeeze(-1) > 0).long() if logits.shape[-1] == 1 else logits.argmax(dim=-1)


def max_prob(output: Tensor, log_probs: Tensor | None = None) -> Tensor:
    """Each row's winning probability: max softmax over the logits, or max(σ, 1 − σ) of one binary logit.

    Several classes: exp of the largest log probability (:func:`class_log_probs`, or ``log_probs`` when
    the caller has them already).
    """
    if output.shape[-1] == 1:
        p = torch.sigmoid(output.squeeze(-1))
        return torch.maximum(p, 1 - p)
    return (class_log_probs(output) if log_probs is None else log_probs).amax(-1).exp()


@torch.no_grad()
def evaluate(model: nn.Module, x: Tensor, y: Tensor, splits: Splits) -> dict[str, float]:
    """Loss and headline metrics (accuracy and mean max probability, or MSE and R²) of one (unstacked) model
    on one set, e.g. after its weights were altered."""
    model.eval()
    output = model(x)
    model.train()
    return stacked_metrics(output.unsqueeze(0), y.unsqueeze(0), splits)[0]


def class_log_probs(logits: Tensor) -> Tensor:
    """log softmax over the classes (last dimension) of logits (…, N, C).

    Computed with the classes laid out along a non-last dimension: PyTorch's CPU kernel for a short
    last dimension costs about 160 ns a row at C = 10 (torch 2.15, one thread), ten times more. Equal to
    ``F.log_softmax(logits, -1)`` to a few ulp (the sums run in another order).
    """
    return F.log_softmax(logits.mT.contiguous(), dim=-2).mT


def stacked_metrics(output: Tensor, y: Tensor, splits: Splits,
                    seeds: Sequence[int] | None = None) -> list[dict[str, float]]:
    """Per-seed metrics of one set from outputs (S, N, out) and raw targets (S, N, ...): of the seeds ``seeds``
    only, in that order, when given. One dict per seed: :func:`metric_columns` as rows."""
    columns = metric_columns(output, y, splits, seeds)
    return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def metric_columns(output: Tensor, y: Tensor, splits: Splits,
                   seeds: Sequence[int] | Tensor | None = None) -> dict[str, list[float]]:
    """Per-seed metrics of one set as columns, name → one float per seed (of the seeds ``seeds`` only, in that
    order, when given: every seed is computed, only theirs are read out). The names and their order are
    :func:`set_metrics`'s, or for a PDE ``loss``, ``mse``, ``rel_l2``, ``max_error``.

    For several classes the loss (mean cross-entropy) and ``max_prob`` come from one log softmax
    (:func:`class_log_probs`); otherwise the loss is the training criterion's (:func:`per_seed_loss`).
    """
    return set_scores(output, y, splits, seeds)[0]


def set_scores(output: Tensor, y: Tensor, splits: Splits, seeds: Sequence[int] | Tensor | None = None,
               target: Tensor | None = None) -> tuple[dict[str, list[float]], Tensor | None]:
    """:func:`metric_columns` and :func:`per_example` of one set at once, for the seeds ``seeds`` (all when None):
    the columns, and those seeds' outcomes on each example (len(seeds), N), or None for a PDE. A classifier's
    predictions are made once for both. ``target``: y in the loss's form when the caller has it already
    (:func:`loss_target`)."""
    rows = None if seeds is None else torch.as_tensor(seeds, dtype=torch.long, device=output.device)

    def pick(values: Tensor) -> Tensor:
        return values if rows is None else values[rows]

    def read(values: Tensor) -> list[float]:
        return pick(values).tolist()

    if splits.task == "classification":
        log_probs = None
        if output.shape[-1] > 1:
            log_probs = class_log_probs(output)
            losses = -log_probs.gather(-1, y.unsqueeze(-1)).squeeze(-1).mean(-1)
        else:
            losses = per_seed_loss(output, loss_target(y, splits) if target is None else target, splits)
        sharp = max_prob(output, log_probs).mean(-1)
        correct = predict_classes(output) == y
        accuracy = correct.float().mean(-1)
        # The three columns in one read (each read is a device sync and a list); float32 widens exactly.
        columns = torch.stack([losses, accuracy, sharp])  # (3, S)
        loss, acc, prob = (columns if rows is None else columns[:, rows]).tolist()
        return {"loss": loss, "accuracy": acc, "max_prob": prob}, pick(correct).to(torch.uint8)
    losses = read(per_seed_loss(output, y, splits))
    if splits.task == "pde":  # the exact solution on a grid: relative L2 error and the largest pointwise error
        error = (output - y).flatten(1)
        return {"loss": losses, "mse": losses, "rel_l2": read(error.norm(dim=1) / y.flatten(1).norm(dim=1)),
                "max_error": read(error.abs().amax(1))}, None
    variance = read(y.float().flatten(1).var(1, unbiased=False))
    return {"loss": losses, "mse": losses,
            "r2": [set_metrics(splits.task, loss, variance=var)["r2"] for loss, var in zip(losses, variance,
                                                                                          strict=True)]}, \
        pick(per_example(output, y, splits))


def per_example(output: Tensor, y: Tensor, splits: Splits) -> Tensor | None:
    """Each seed's outcome on each example, (S, N), for outputs (S, N, out): 1 where the predicted class is right
    (uint8, classification), the squared error averaged over the outputs (float32, regression); None for a PDE,
    whose test set is a fixed grid, not a sample (the run's ``test_outcomes`` artifact, ``yatbench/run/execute.py``)."""
    if splits.task == "classification":
        return (predict_classes(output) == y).to(torch.uint8)
    if splits.task == "regression":
        return (output.float() - y.float()).square().flatten(2).mean(-1)
    return None


def set_metrics(task: str, loss: float, accuracy: float = float("nan"), variance: float = float("nan"),
                confidence: float = float("nan")) -> dict[str, float]:
    """One set's metrics from its loss and accuracy (classification) or target variance (regression).

    ``max_prob`` (classification) is the mean over the set of the winning class's probability
    (:func:`max_prob`): how sharp the softmax is (seeds/000's softmax sharpening claim).
    """
    if task == "classification":
        return {"loss": loss, "accuracy": accuracy, "max_prob": confidence}
    return {"loss": loss, "mse": loss, "r2": 1.0 - loss / variance if variance > 0 else float("nan")}


def final_metrics(splits: Splits, evaluated: dict[str, dict[str, float]]) -> dict[str, Any]:
    """The metrics of a finished run from its per-set evaluations (``train``, ``test``, eval sets, in order).

    What else a run records is measured after training (``yatbench/measures/``).
    """
    metrics: dict[str, Any] = {}
    for name, result in evaluated.items():
        metrics.update({f"{name}_{k}": v for k, v in result.items()})
    metrics["headline"] = HEADLINE[splits.task]
    return metrics
