"""The training loop: in-memory tensors on the device, Adam or SGD, per-epoch history.

Data that fits in memory never goes through a DataLoader: a mini-batch is an index into
the tensors already on the device, so the loop costs what a hand-written PyTorch loop
costs. A loss that turns NaN or infinite ends the run with status ``diverged`` and the
epoch it happened in.

Data that brings its own objective (``splits.objective``: the physics-informed PDE problems)
is trained on it instead of the supervised loss, full batch, and may add an L-BFGS phase after
the Adam epochs (``objective.lbfgs_steps`` iterations of torch's L-BFGS with strong-Wolfe line
search, one history row every ``eval_every`` iterations).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from yatbench.data.base import Splits
from yatbench.errors import UserError
from yatbench.record import HEADLINE

OPTIMIZERS = ("adam", "adamw", "sgd")
SEED_BATCHING = ("auto", "off")


@dataclass
class TrainerConfig:
    """Optimizer, budget and bookkeeping of one training run (``conf/trainer/default.yaml``)."""

    optimizer: str = "adam"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    epochs: int = 100
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
        for key in ("epochs", "eval_every"):
            if getattr(self, key) < 1:
                raise UserError(f"trainer.{key}={getattr(self, key)} must be >= 1")
        if self.batch_size < 0:
            raise UserError(f"trainer.batch_size={self.batch_size} must be >= 0 (0 = full batch)")
        if not self.lr > 0:
            raise UserError(f"trainer.lr={self.lr} must be > 0")
        if self.weight_decay < 0:
            raise UserError(f"trainer.weight_decay={self.weight_decay} must be >= 0")


@dataclass
class TrainResult:
    """What a training run produced: its status, history rows and final metrics."""

    status: str
    history: list[dict[str, float]]
    metrics: dict[str, Any]
    steps: int
    train_time_s: float
    diverged_epoch: int | None = None
    notes: list[str] = field(default_factory=list)
    # Set when the run was trained in a seed-batched group: group size, the group's training time
    # (``train_time_s`` is its share) and the backend (see ``yatbench/seed_batch.py``).
    seed_batch: dict[str, Any] | None = None


def make_optimizer(params: Any, cfg: TrainerConfig) -> torch.optim.Optimizer:
    """The optimizer named in the config, over ``params``."""
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    cls = torch.optim.Adam if cfg.optimizer == "adam" else torch.optim.AdamW
    return cls(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def loss_function(splits: Splits) -> nn.Module:
    """Cross-entropy over classes, BCE for a single binary logit, MSE for regression (and a PDE's test grid)."""
    if splits.task in ("regression", "pde"):
        return nn.MSELoss()
    return nn.BCEWithLogitsLoss() if splits.out_features == 1 else nn.CrossEntropyLoss()


def loss_target(y: torch.Tensor, splits: Splits) -> torch.Tensor:
    """Targets in the form the loss wants: float column for BCE, indices for cross-entropy."""
    if splits.task == "classification" and splits.out_features == 1:
        return y.float().unsqueeze(-1)
    return y


def predict_classes(logits: torch.Tensor) -> torch.Tensor:
    """Class index per row: the sign of a single binary logit, else the argmax."""
    return (logits.squeeze(-1) > 0).long() if logits.shape[-1] == 1 else logits.argmax(dim=-1)


def max_prob(output: torch.Tensor) -> torch.Tensor:
    """Each row's winning probability: max softmax over the logits, or max(σ, 1 − σ) of one binary logit."""
    if output.shape[-1] == 1:
        p = torch.sigmoid(output.squeeze(-1))
        return torch.maximum(p, 1 - p)
    return torch.softmax(output, dim=-1).amax(dim=-1)


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, splits: Splits) -> dict[str, float]:
    """Loss and the task's headline metrics on one set: accuracy (and mean max probability), or MSE and R²."""
    model.eval()
    output = model(x)
    model.train()
    loss = loss_function(splits)(output, loss_target(y, splits)).item()
    if splits.task == "classification":
        return set_metrics(splits.task, loss, accuracy=(predict_classes(output) == y).float().mean().item(),
                           confidence=max_prob(output).mean().item())
    if splits.task == "pde":
        return {"loss": loss, "mse": loss, "rel_l2": ((output - y).norm() / y.norm()).item(),
                "max_error": (output - y).abs().max().item()}
    return set_metrics(splits.task, loss, variance=y.float().var(unbiased=False).item())


def set_metrics(task: str, loss: float, accuracy: float = float("nan"), variance: float = float("nan"),
                confidence: float = float("nan")) -> dict[str, float]:
    """One set's metrics from its loss and accuracy (classification) or target variance (regression).

    ``max_prob`` (classification) is the mean over the set of the winning class's probability
    (:func:`max_prob`): how sharp the softmax is (seeds/000's softmax sharpening claim).
    Shared by :func:`evaluate` and the seed-batched trainer, so both report the same numbers.
    """
    if task == "classification":
        return {"loss": loss, "accuracy": accuracy, "max_prob": confidence}
    return {"loss": loss, "mse": loss, "r2": 1.0 - loss / variance if variance > 0 else float("nan")}


def final_metrics(splits: Splits, evaluated: dict[str, dict[str, float]],
                  history: list[dict[str, float]]) -> dict[str, Any]:
    """The metrics of a finished run from its per-set evaluations (``train``, ``test``, eval sets, in order).

    XOR-style data (``splits.track_solved``) adds ``solved`` (every test point right) and
    ``steps_to_solve`` (the step of the first history row with test accuracy 1).
    """
    task = splits.task
    metrics: dict[str, Any] = {}
    for name, result in evaluated.items():
        metrics.update({f"{name}_{k}": v for k, v in result.items()})
    if splits.track_solved:
        metrics["solved"] = metrics["test_accuracy"] == 1.0
        solved_at = [row["step"] for row in history if row["test_accuracy"] == 1.0]
        metrics["steps_to_solve"] = solved_at[0] if metrics["solved"] and solved_at else None
    metrics["headline"] = HEADLINE[task]
    return metrics


@contextmanager
def progress_bar(enabled: bool, total: int, label: str) -> Iterator[Any]:
    """A rich progress bar when output is a terminal; a no-op callable otherwise."""
    from rich.console import Console

    console = Console(stderr=True)
    if not (enabled and console.is_terminal):
        yield lambda completed, **_: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[info]}"), TimeRemainingColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task(label, total=total, info="")
        yield lambda completed, info="": progress.update(task, completed=completed, info=info)


def train(model: nn.Module, splits: Splits, cfg: TrainerConfig, device: torch.device, seed: int,
          label: str = "training") -> TrainResult:
    """Train ``model`` on ``splits`` in place and evaluate it; the model must already be on ``device``.

    The mini-batch order comes from its own generator seeded with ``seed``, so it does not
    depend on how many random numbers model initialisation drew.
    """
    x_train, x_test = splits.x_train.to(device), splits.x_test.to(device)
    y_train, y_test = splits.y_train.to(device), splits.y_test.to(device)
    target_train = loss_target(y_train, splits)
    criterion = loss_function(splits)
    objective = splits.objective.to(device) if splits.objective is not None else None
    optimizer = make_optimizer(model.parameters(), cfg)
    n_train = x_train.shape[0]
    batch_size = cfg.batch_size if 0 < cfg.batch_size < n_train and objective is None else n_train
    parts: dict[str, torch.Tensor] = {}

    def batch_loss(index: Any) -> torch.Tensor:
        if objective is None:
            return criterion(model(x_train[index]), target_train[index])
        parts.update(objective.losses(model))
        return parts["loss"]

    def history_row(epoch: int, step: int, train_loss: float) -> dict[str, float]:
        row = {"epoch": epoch, "step": step, "train_loss": train_loss}
        row.update({f"train_{k}": v.item() for k, v in parts.items() if k != "loss"})
        test = evaluate(model, x_test, y_test, splits)
        return {**row, **{f"test_{k}": v for k, v in test.items()}}
    order_gen = torch.Generator().manual_seed(seed)

    history: list[dict[str, float]] = []
    steps, status, diverged_epoch = 0, "ok", None
    update_every = max(1, cfg.epochs // 200)
    start = time.perf_counter()
    with progress_bar(cfg.progress, cfg.epochs, label) as advance:
        for epoch in range(1, cfg.epochs + 1):
            if batch_size == n_train:
                batches: Any = (slice(None),)
            else:
                batches = torch.randperm(n_train, generator=order_gen).to(device).split(batch_size)
            epoch_loss = torch.zeros((), device=device)
            for index in batches:
                loss = batch_loss(index)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                epoch_loss += loss.detach()
                steps += 1
            train_loss = epoch_loss.item() / len(batches)
            if not math.isfinite(train_loss):
                status, diverged_epoch = "diverged", epoch
                break
            if epoch % cfg.eval_every == 0 or epoch == cfg.epochs:
                history.append(history_row(epoch, steps, train_loss))
            if epoch % update_every == 0:
                advance(epoch, info=f"loss {train_loss:.4g}")
    lbfgs_steps = getattr(objective, "lbfgs_steps", 0)
    if status == "ok" and lbfgs_steps:
        steps, status, diverged_epoch = lbfgs_phase(model, lambda: batch_loss(slice(None)), lbfgs_steps, cfg,
                                                    steps, history, history_row)
    train_time = time.perf_counter() - start

    metrics: dict[str, Any] = {}
    if status == "ok" and objective is not None:
        final = {k: v.item() for k, v in objective.losses(model).items()}
        metrics = final_metrics(splits, {"train": final, "test": evaluate(model, x_test, y_test, splits)}, history)
        metrics["test_residual"] = objective.residual_mse(model, x_test)
    elif status == "ok":
        evaluated = {"train": evaluate(model, x_train, y_train, splits),
                     "test": evaluate(model, x_test, y_test, splits)}
        for name, (x_eval, y_eval) in splits.eval_sets.items():
            evaluated[name] = evaluate(model, x_eval.to(device), y_eval.to(device), splits)
        metrics = final_metrics(splits, evaluated, history)
    return TrainResult(status, history, metrics, steps, train_time, diverged_epoch)


def lbfgs_phase(model: nn.Module, full_loss: Any, iterations: int, cfg: TrainerConfig, steps: int,
                history: list[dict[str, float]], history_row: Any) -> tuple[int, str, int | None]:
    """``iterations`` of torch's L-BFGS (strong-Wolfe line search) on the full-batch loss.

    Runs in calls of ``cfg.eval_every`` iterations (the optimizer keeps its curvature history
    between calls), appending a history row after each; epochs continue the Adam count, one per
    iteration. ``full_loss()`` returns the loss at the current parameters with a graph;
    ``history_row(epoch, step, loss)`` makes a row. Returns the step count, the status and the
    epoch of divergence (or None).
    """
    lbfgs = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=cfg.eval_every, history_size=50,
                              tolerance_grad=1e-9, tolerance_change=1e-12, line_search_fn="strong_wolfe")

    last = [float("nan")]  # the loss at the last evaluated point, where the line search left θ

    def closure() -> torch.Tensor:
        lbfgs.zero_grad(set_to_none=True)
        loss = full_loss()
        loss.backward()
        last[0] = loss.item()
        return loss

    done = 0
    state = lbfgs.state[next(iter(model.parameters()))]
    while done < iterations:
        lbfgs.param_groups[0]["max_iter"] = min(cfg.eval_every, iterations - done)
        before = state.get("n_iter", 0)
        lbfgs.step(closure)
        ran = state.get("n_iter", 0) - before
        done, steps = done + lbfgs.param_groups[0]["max_iter"], steps + ran
        if not math.isfinite(last[0]):
            return steps, "diverged", cfg.epochs + done
        history.append(history_row(cfg.epochs + done, steps, last[0]))
        if ran == 0:  # converged: L-BFGS makes no further progress
            break
    return steps, "ok", None
