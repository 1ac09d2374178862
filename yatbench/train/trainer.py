"""The training loop: S ≥ 1 seeds of one configuration at once, in-memory tensors, per-epoch history.

``yatbench run`` is the S = 1 case of :func:`train`, a sweep's seed group the S > 1 case; grouping
seeds is the sweep's job (``yatbench/sweep/jobs.py``), training is this module's.

How it trains:

- Small runs (parameters × batch ≤ :data:`SMALL_WORK`) run *stacked*: the seeds' parameters are
  stacked along a leading seed dimension and the model's ``forward_stacked`` (see
  ``yatbench/nn/stacked.py``) runs every operation once for all of them. A run alone is a stack of
  one, so its numbers are those it gets in any group, to float32 rounding: a larger stack may take another
  kernel (a BLAS's batched product, torch's vectorised elementwise loops), which rounds differently
  (``tests/test_trainer.py``, README "Seed batching"). On the CPU the stacked operations are per seed, on
  one intra-op thread for such runs, and the stacked matmuls round a stack of one as a larger stack (see
  ``matmul`` there); under vmap, several threads or a GPU a run alone trains beside a ghost copy of itself.
  Larger runs call the module itself, one seed at a time.
  Whether a run is stacked depends on its configuration only, never on its group.
- The objective gives each seed's loss, (S,); their *sum* is differentiated, so each seed's gradient
  is exactly its own, and one optimizer step updates all (Adam, AdamW and SGD are elementwise).
- Each seed shuffles its mini-batches with its own ``torch.Generator().manual_seed(seed)``; data drawn
  per seed is stacked per seed (``yatbench/train/stacked.py``).
- A seed is ``diverged`` at the first epoch whose training loss is NaN/inf or at one of whose steps the
  gradient norm over all its parameters is (the float32 2-norm: an overflowing norm counts, as a loss of
  3.7e34 with gradients past 1.8e19 does); its weights are kept as they were then, and it computes on in
  its own slice (which cannot reach the others) until the stack is compacted. ``yatbench/run/execute.py``
  also calls a run diverged whose final losses or gradient norms are not finite (:func:`non_finite_outcome`).

Selection and stopping (README "Validation split and the convergence rule"):

- Every evaluation (every ``eval_every`` epochs of a seed, and the last epoch of each phase) scores the
  validation set (``val_<metric>`` history columns) beside the test set. Selection reads the validation loss
  only: the test scores are recorded, never used to stop or to choose weights.
- ``epochs`` is the maximum budget. Each seed stops on its own by :class:`Stopping` (``patience``,
  ``min_delta``, ``loss_floor``); a seed that has stopped is frozen as a diverged one is: it draws no batch
  order, records nothing and keeps its own epoch and step counts. Its slice of the stack computes on (which
  cannot reach the others) until the running seeds are at most ``COMPACT_AT`` of the stack; then the stack is
  compacted to them (``Replicas.compact``: on one CPU thread, with the model's own ``forward_stacked``, in a
  phase of an elementwise optimizer, whose state moves with it), so a thousand-seed group whose last seed runs
  to the budget pays for that seed, not for all. A group's phase ends when every seed in it has stopped, and
  every seed is back in the stack for the next phase and the final scores.
- At the end of each phase, each seed's weights are set back to its best validation evaluation; the next
  phase starts from there and the final metrics are measured there (so they equal the history row at
  ``best_epoch``). ``converged``: the last phase stopped by the rule (not cut off by its epochs).

Seams for other kinds of training (physics-informed losses, say):

- **objective**: ``splits.objective`` (a callable ``objective(forward, x, target) -> (S,)``, see
  ``yatbench/train/objective.py``) replaces the default criterion on ``forward(x)``; it may take input
  gradients (``x.requires_grad_()``, ``torch.autograd.grad(..., create_graph=True)``): the stacked
  forwards are twice differentiable (the Yat layer's custom backward included). Evaluation still scores the test sets.
  An objective with a ``parts(forward, x, target=None) -> [{name: value}]`` method (per seed: ``loss`` and
  named terms) also scores the sets by it: its terms on the train set (with its targets) join each history
  row as ``train_<name>`` and are the final train metrics (such data has no labels to score against); its
  terms on the validation set (with its targets) are ``val_<name>``, ``val_loss`` the monitored one; its
  terms at the test points alone (no targets) add ``test_<name>``. Its derivatives with respect to the
  stacked inputs stay per seed (a seed's outputs depend on its own rows only): PINN losses train stacked.
- **phases**: ``train(..., phases=[Phase("adam", 0.01, 500), Phase("lbfgs", 1.0, 20)])`` runs
  optimizers one after the other (epochs counted on; history continues). An L-BFGS step goes through
  ``optimizer.step(closure)`` (its line search evaluates the loss again); the others take one loss and
  gradient, then ``optimizer.step()``. L-BFGS is ``yatbench/train/lbfgs.py``'s :class:`StackedLBFGS`: each seed has
  its own curvature memory and its own backtracking line search, so a stack of seeds trains together and each
  gets what it gets alone. One L-BFGS epoch is one iteration (1 + its backtracks evaluations; its curvature
  memory carries over from epoch to epoch).
  Data may ask for an L-BFGS phase after the configured optimizer (``splits.lbfgs_steps``, PINN
  practice): :func:`phases_of` adds it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from yatbench.core.history import History, HistoryBlocks
from yatbench.core.progress import progress_bar
from yatbench.data.base import Splits
from yatbench.nn.stacked import backend_of
from yatbench.train.adam import LeanAdam
from yatbench.train.config import TrainerConfig
from yatbench.train.lbfgs import StackedLBFGS
from yatbench.train.no_dynamo import plain_step
from yatbench.train.objective import default_objective, final_metrics
from yatbench.train.replicas import Replicas
from yatbench.train.stacked import same_shapes, seed_set

ELEMENTWISE = ("adam", "adamw", "sgd")  # optimizers whose step treats every parameter entry alone
PER_SEED = (*ELEMENTWISE, "lbfgs")  # optimizers whose step treats every seed alone (yatbench/train/lbfgs.py)
# A run is "small" when parameters × batch size (≈ multiply-adds of one forward step) is at most this:
# a step is then dominated by per-operation overhead, so it trains stacked (and in a group when a sweep
# has its seeds) on one thread. 2^24 takes in the ≈17k-parameter MNIST models of the default preset
# at batch 64 and the deep narrow stacks of the claims preset (32 layers of width 64: ≈180k parameters
# at batch 64, 2^23.5), whose steps are hundreds of small operations: an 8 × 64 Yat stack measured
# 124 ms a step on two intra-op threads with the other core busy, 2.0 ms on one (torch 2.15, MNIST batch 64).
# XOR and the compositional toy are far below.
SMALL_WORK = 2**24
# A stack is compacted to its running seeds once they are at most this fraction of it (replicas.py): each
# compaction copies the stack's tensors once, and the seeds that stopped no longer cost a step.
COMPACT_AT = 0.75


@dataclass
class Phase:
    """One stretch of training with one optimizer: ``adam``, ``adamw``, ``sgd`` or ``lbfgs``."""

    optimizer: str
    lr: float
    epochs: int
    momentum: float = 0.9
    weight_decay: float = 0.0


@dataclass
class TrainResult:
    """What a training run produced: its status, history rows and final metrics."""

    status: str
    history: Sequence[dict[str, Any]]  # a History (yatbench/core/history.py) from train; any rows elsewhere
    metrics: dict[str, Any]
    steps: int
    train_time_s: float
    diverged_epoch: int | None = None
    notes: list[str] = field(default_factory=list)
    # Set when the run trained in a group of several seeds: group size, the group's training time
    # (``train_time_s`` is its share) and the backend.
    seed_batch: dict[str, Any] | None = None
    # The convergence rule's outcome (:class:`Stopping`): the epoch whose weights the run ends with, whether it
    # stopped by the rule in its last phase, why it stopped (patience | max_epochs | diverged), the budget
    # (None: not known, for a result made elsewhere than :func:`train`).
    best_epoch: int | None = None
    converged: bool | None = None
    stop_reason: str | None = None
    max_epochs: int | None = None
    # Per evaluation, per test example: ``epochs`` (E,) and ``correct`` (E, N) uint8 or ``sq_error`` (E, N)
    # float32; None for a PDE (run.py saves it as the ``test_outcomes`` artifact).
    outcomes: dict[str, np.ndarray] | None = None


def phases_of(cfg: TrainerConfig, splits: Splits | None = None) -> list[Phase]:
    """The phase a trainer config describes, then the L-BFGS phase the data asks for (``splits.lbfgs_steps``)."""
    extra = [Phase("lbfgs", 1.0, splits.lbfgs_steps)] if splits is not None and splits.lbfgs_steps else []
    return [Phase(cfg.optimizer, cfg.lr, cfg.epochs, cfg.momentum, cfg.weight_decay), *extra]


def make_optimizer(params: Any, phase: Phase | TrainerConfig, lean: bool = True) -> torch.optim.Optimizer:
    """The optimizer a phase (or a trainer config) names, over ``params``.

    PyTorch's default implementation on a CPU (one loop over the parameters): its ``foreach`` form gives
    the same numbers but measured 5 % slower per step on XOR (9 runs, torch 2.15, one thread). Its ``fused``
    CPU kernel costs a third of the time (49 against 140 µs a step for XOR's five stacked tensors, torch 2.14,
    one thread) but rounds an entry by where it falls in the kernel's vector loop: a seed's weights after 200
    steps then differ between a stack of one and the same seed in a stack of 2 to 1 000, which the default's
    ops do not (and differ from the default's by up to 3.6e-7). Not used: a run's numbers must not depend on
    its group. A stack's parameters reach it as one flat buffer instead (``Replicas.parameters``): the default's
    ops once, not once per tensor. Adam and AdamW over CPU tensors are :class:`LeanAdam` (``lean``; False: torch's
    own class): the default's ops, the same bits, without the Python torch runs around them (yatbench/train/adam.py).
    """
    if phase.optimizer == "sgd":
        return torch.optim.SGD(params, lr=phase.lr, momentum=phase.momentum, weight_decay=phase.weight_decay)
    if phase.optimizer == "lbfgs":
        return StackedLBFGS(params, lr=phase.lr)
    params = list(params)
    if lean and LeanAdam.takes(params):
        return LeanAdam(params, phase.lr, phase.weight_decay, decoupled=phase.optimizer == "adamw")
    cls = torch.optim.Adam if phase.optimizer == "adam" else torch.optim.AdamW
    return cls(params, lr=phase.lr, weight_decay=phase.weight_decay)


def work(params: int, cfg: TrainerConfig, n_train: int) -> int:
    """Parameters × effective batch size: the size of one training step of one seed."""
    return params * (cfg.batch_size if 0 < cfg.batch_size < n_train else n_train)


def stackable(model: nn.Module, splits: Splits, cfg: TrainerConfig, phases: Sequence[Phase] | None = None) -> bool:
    """Whether this configuration trains stacked (small work, elementwise optimizers): its config decides."""
    params = sum(p.numel() for p in model.parameters())
    return (work(params, cfg, splits.x_train.shape[0]) <= SMALL_WORK
            and all(p.optimizer in PER_SEED for p in phases or phases_of(cfg, splits)))


def train(models: Sequence[nn.Module], splits: Splits | Sequence[Splits], cfg: TrainerConfig,
          device: torch.device, seeds: Sequence[int], label: str = "training",
          phases: Sequence[Phase] | None = None) -> list[TrainResult]:
    """Train ``models`` (one per seed, same architecture, on ``device``) in place; one result per seed.

    ``splits`` is one dataset for all seeds or one per seed (same shapes). Each result holds the status,
    history rows (every ``eval_every`` epochs and each phase's last), final metrics, steps, diverged epoch and
    the convergence rule's outcome; each seed's model ends with the weights of its best validation evaluation.
    In a group, ``train_time_s`` is the group's time / S.
    """
    size = len(models)
    all_splits = [splits] * size if isinstance(splits, Splits) else list(splits)
    if size == 0 or size != len(seeds) or len(all_splits) != size or not same_shapes(all_splits):
        raise ValueError("train needs one model, seed and dataset (all of the same shapes) per seed")
    first = all_splits[0]
    phases = list(phases or phases_of(cfg, first))
    stacked = stackable(models[0], first, cfg, phases)
    real = size
    if stacked and size == 1 and (backend_of(models[0]) == "vmap" or device.type != "cpu"
                                  or torch.get_num_threads() > 1):
        # A batched matmul of a batch of one rounds differently from the same seed in a group; on one CPU
        # thread ``matmul`` (yatbench/nn/stacked.py) avoids that for a model's own forward_stacked. Under
        # vmap, on several threads or on a GPU the lone run trains beside a ghost twin instead.
        models, all_splits, seeds, size = [models[0]] * 2, all_splits * 2, [*seeds] * 2, 2
    replicas = Replicas(models, stacked)
    objective = first.objective or default_objective(first)
    labelless = hasattr(first.objective, "parts")  # scored by its objective's terms on the train and val sets
    every_set = {name: seed_set(all_splits, name, device) for name in ("train", "val", "test")}
    train_set, val_set, test_set = every_set["train"], every_set["val"], every_set["test"]
    # The validation set may be the test set's very points (XOR without noise): scored once then.
    val_is_test = val_set.same_as(test_set)
    n_train = train_set.x.shape[1]
    batch_size = cfg.batch_size if 0 < cfg.batch_size < n_train else n_train
    # The stack shrinks to the seeds still training where a stack of any size rounds alike (one CPU thread, the
    # model's own forward_stacked: yatbench/nn/stacked.py) and the optimizer's state is per entry.
    compacting = (stacked and real > 1 and device.type == "cpu" and replicas.backend != "vmap"
                  and torch.get_num_threads() == 1)
    generators = [torch.Generator().manual_seed(seed) for seed in seeds]
    recorded = HistoryBlocks(size)  # the history rows, one block per evaluation (the seeds due, as columns)
    outcomes: list[np.ndarray] = []  # beside each block: the due seeds' per-test-example outcomes, (due, N)
    diverged: dict[int, tuple[int, int]] = {}  # seed index → (epoch, steps) when its loss or gradient went non-finite
    kept: dict[int, dict[str, Tensor] | None] = {}  # seed index → its weights then
    reasons: dict[int, str] = {}  # seed index → what was not finite (the run's notes)
    # Each seed's own clock: in a group, a seed that stopped early in one phase starts the next at its own epoch.
    epochs, steps = np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)
    train_loss, grads = np.full(size, np.nan), np.full(size, np.nan)  # by seed index: the last epoch's
    stopping = Stopping(cfg, size)
    best = replicas.copy()  # each seed's weights at its best validation evaluation so far (:class:`Stopping`)
    total = sum(p.epochs for p in phases)
    update_every = max(1, total // 200)
    group_epoch = 0
    start = time.perf_counter()
    with progress_bar(cfg.progress, total, label) as advance:
        for phase in phases:
            running = [i for i in range(size) if i not in diverged]
            if not running:
                break
            # The running seeds as an array too (the clocks tick by it), remade only when ``running`` changes.
            ticking = np.asarray(running, dtype=np.int64)
            stopping.start_phase(ticking, epochs[ticking])
            optimizer = make_optimizer(replicas.parameters(elementwise=phase.optimizer in ELEMENTWISE), phase)
            for phase_epoch in range(1, phase.epochs + 1):
                group_epoch += 1
                members = replicas.members  # the seed index at each position of the (maybe compacted) stack
                if batch_size == n_train:
                    batches: Sequence[Tensor | None] = (None,)
                else:  # a seed that has stopped draws no order: its generator is where it would be alone
                    drawing = set(running)
                    orders = torch.stack([torch.randperm(n_train, generator=generators[i]) if i in drawing
                                          else torch.arange(n_train) for i in members.tolist()])
                    batches = orders.to(device).split(batch_size, dim=1)
                epoch_loss = _step(optimizer, objective, replicas, *train_set.batch(batches[0]))
                epoch_grad = replicas.gradient_norms()
                for index in batches[1:]:  # summed in batch order; starting from the first equals starting from 0
                    epoch_loss = epoch_loss + _step(optimizer, objective, replicas, *train_set.batch(index))
                    epoch_grad = torch.maximum(epoch_grad, replicas.gradient_norms())  # NaN stays NaN
                # One device read; float64 as Python's floats (each seed's loss / batches, as a float divides).
                values = torch.stack([epoch_loss, epoch_grad.to(epoch_loss.dtype)]).cpu().numpy().astype(np.float64)
                train_loss[members], grads[members] = values[0] / len(batches), values[1]
                # The seeds' clocks and checks as arrays: a group of a thousand seeds pays no Python loop per epoch.
                epochs[ticking] += 1
                steps[ticking] += len(batches)
                failing = [] if np.isfinite(values).all() else \
                    ticking[~(np.isfinite(train_loss[ticking]) & np.isfinite(grads[ticking]))].tolist()
                for i in failing:
                    diverged[i], kept[i] = (int(epochs[i]), int(steps[i])), replicas.snapshot(i)
                    reasons[i] = (f"diverged at epoch {diverged[i][0]}: training loss {float(train_loss[i]):.3g}, "
                                  f"largest gradient norm of the epoch {float(grads[i]):.3g}")
                    stopping.reason[i] = "diverged"
                if failing:
                    running = [i for i in running if i not in diverged]
                    ticking = np.asarray(running, dtype=np.int64)
                due = running if phase_epoch == phase.epochs else \
                    ticking[epochs[ticking] % cfg.eval_every == 0].tolist()
                if due:
                    # Each set is scored for the whole stack at once (read-only); only the seeds due are read out,
                    # as columns, and kept as one block (a thousand seeds' rows at every evaluation cost more in
                    # Python than the step itself when made as dicts: yatbench/core/history.py).
                    test, examples = replicas.score(test_set, first, due)
                    val = _columns(replicas.parts(val_set, first, seeds=due)) if labelless else \
                        test if val_is_test else replicas.score(val_set, first, due)[0]
                    at = np.asarray(due, dtype=np.int64)  # the due seeds' indices, once for every read below
                    columns = {"epoch": epochs[at], "step": steps[at], "train_loss": train_loss[at]}
                    if labelless:
                        columns.update({f"train_{k}": v for k, v in
                                        _columns(replicas.parts(train_set, first, seeds=due)).items() if k != "loss"})
                    columns.update({f"val_{k}": v for k, v in val.items()})
                    columns.update({f"test_{k}": v for k, v in test.items()})
                    recorded.add(at, columns)
                    if examples is not None:
                        outcomes.append(examples)
                    replicas.keep(best, at[stopping.observe(at, columns["epoch"], np.asarray(val["loss"]))].tolist())
                    stopped = stopping.exhausted(ticking, epochs[ticking])
                    if stopped.any():
                        running = ticking[~stopped].tolist()
                        ticking = np.asarray(running, dtype=np.int64)
                if cfg.progress and group_epoch % update_every == 0 and running:
                    mean = sum(train_loss[i] for i in running) / len(running)
                    advance(group_epoch, info=f"loss {mean:.4g}" if size == 1 else
                            f"{len(running)}/{size} seeds · mean loss {mean:.4g}")
                if not running:
                    break
                if compacting and phase.optimizer in ELEMENTWISE and len(running) <= COMPACT_AT * len(members):
                    # Most of the stack has stopped (or diverged): train on with the running seeds only.
                    old_params, move = replicas.compact(running)
                    optimizer = _moved_optimizer(optimizer, old_params, replicas.parameters(elementwise=True), move,
                                                 phase)
                    train_set, val_set, test_set = (every_set[name].select(running)
                                                    for name in ("train", "val", "test"))
            for i in running:
                stopping.reason[i] = "max_epochs"
            replicas.expand()  # every seed back in the stack, in seed order
            train_set, val_set, test_set = every_set["train"], every_set["val"], every_set["test"]
            # The next phase (and the final scores) start from each seed's best weights, alone or in any group.
            replicas.restore(best, [i for i in range(size) if i not in diverged and stopping.best_epoch[i]])
    group_time = time.perf_counter() - start

    finals: dict[int, dict[str, Any]] = {}
    healthy = [i for i in range(size) if i not in diverged]
    if healthy:  # scored at the restored weights: the test scores are those of the history row at the best epoch
        evaluated = {"train": replicas.parts(train_set, first) if labelless else replicas.evaluate(train_set, first),
                     "val": replicas.parts(val_set, first) if labelless else replicas.evaluate(val_set, first),
                     "test": replicas.evaluate(test_set, first, terms=True)}
        for name in first.eval_sets:
            evaluated[name] = replicas.evaluate(seed_set(all_splits, name, device), first)
        finals = {i: final_metrics(first, {k: v[i] for k, v in evaluated.items()}) for i in healthy}
    replicas.write_back(kept)
    info = {"seeds": real, "group_train_time_s": round(group_time, 4), "backend": replicas.backend}
    histories = recorded.histories()
    examples_of = recorded.per_seed(outcomes) if outcomes else [None] * size
    return [TrainResult("diverged" if i in diverged else "ok", histories[i], finals.get(i, {}),
                        diverged[i][1] if i in diverged else int(steps[i]), group_time / real,
                        diverged[i][0] if i in diverged else None, [reasons[i]] if i in reasons else [],
                        seed_batch=dict(info) if real > 1 else None, best_epoch=int(stopping.best_epoch[i]) or None,
                        converged=stopping.reason[i] == "patience", stop_reason=stopping.reason[i],
                        max_epochs=total, outcomes=_outcome_arrays(histories[i], examples_of[i], first.task))
            for i in range(real)]


def _moved_optimizer(optimizer: torch.optim.Optimizer, old: Sequence[Tensor], new: Sequence[Tensor],
                     move: Callable[[Tensor], Tensor], phase: Phase) -> torch.optim.Optimizer:
    """A fresh optimizer of ``phase`` over the parameters ``new`` of a compacted stack, holding the state ``optimizer``
    kept for ``old``: per-entry tensors (Adam's moments, SGD's momentum) taken to the kept seeds by ``move``
    (``Replicas.compact``), scalars (Adam's step count, the same for every seed of a phase) as they are."""
    moved = make_optimizer(list(new), phase)
    for before, after in zip(old, new, strict=True):
        state = optimizer.state.get(before)
        if state:
            moved.state[after] = {k: (move(v) if v.shape == before.shape else v.clone()) if isinstance(v, Tensor)
                                  else v for k, v in state.items()}
    return moved


def _columns(rows: list[dict[str, float]]) -> dict[str, list[float]]:
    """Rows of metrics (one dict per seed, the same keys) as columns, name → one value per seed."""
    return {key: [row[key] for row in rows] for key in rows[0]} if rows else {}


def _outcome_arrays(history: History, examples: np.ndarray | None, task: str) -> dict[str, np.ndarray] | None:
    """A seed's per-evaluation, per-test-example outcomes (E, N) as the ``test_outcomes`` artifact's arrays
    (run.py), with the epochs of its history rows."""
    if examples is None or not len(examples):
        return None
    name = "correct" if task == "classification" else "sq_error"
    return {"epochs": history.columns["epoch"].astype(np.int64),
            name: examples.astype(np.uint8 if name == "correct" else np.float32)}


class Stopping:
    """The convergence rule (``trainer.patience``, ``min_delta``, ``loss_floor``) on each seed's validation loss, for
    a stack of ``size`` seeds: arrays by seed index, so that a thousand seeds cost no Python loop per evaluation.

    An evaluation *improves* when its validation loss v satisfies max(v, floor) < max(ref, floor) · (1 − min_delta),
    ref being the last loss that improved (Keras' rule with a relative ``min_delta``); a loss at or below the floor
    leaves nothing to gain. A phase ends for a seed once ``patience`` epochs have passed since the later of its
    last improvement and the phase's start (:meth:`exhausted`): ``reason`` "patience" then, "max_epochs" when the
    phase's epochs ran out first, "diverged". Independently of what counts as an improvement, ``best_epoch`` is
    the evaluation with the lowest validation loss (the earliest of equals; 0 before any): the weights the run
    ends with. Every comparison is float64's, as Python's floats compare (NaN never improves nor is best).
    """

    def __init__(self, cfg: TrainerConfig, size: int) -> None:
        self.patience, self.floor, self.factor = cfg.patience, cfg.loss_floor, 1 - cfg.min_delta
        self.ref, self.best = np.full(size, math.inf), np.full(size, math.inf)
        self.best_epoch = np.zeros(size, dtype=np.int64)
        self.last_gain = np.zeros(size, dtype=np.int64)
        self.reason = ["max_epochs"] * size

    def start_phase(self, seeds: np.ndarray, epochs: np.ndarray) -> None:
        """A new phase starts for ``seeds`` after their ``epochs``: their patience counts from there."""
        self.last_gain[seeds] = np.maximum(self.last_gain[seeds], epochs)
        for i in seeds.tolist():
            self.reason[i] = "max_epochs"

    def observe(self, seeds: np.ndarray, epochs: np.ndarray, losses: np.ndarray) -> np.ndarray:
        """Record the validation ``losses`` of ``seeds`` at their ``epochs``; which are the best so far (a mask: their
        weights are to be kept)."""
        gains = np.maximum(losses, self.floor) < np.maximum(self.ref[seeds], self.floor) * self.factor
        self.ref[seeds[gains]], self.last_gain[seeds[gains]] = losses[gains], epochs[gains]
        best = losses < self.best[seeds]
        self.best[seeds[best]], self.best_epoch[seeds[best]] = losses[best], epochs[best]
        return best

    def exhausted(self, seeds: np.ndarray, epochs: np.ndarray) -> np.ndarray:
        """Which of ``seeds`` (at their ``epochs``) have had ``patience`` epochs without an improvement (a mask;
        their ``reason`` becomes "patience")."""
        done = epochs - self.last_gain[seeds] >= self.patience
        for i in seeds[done].tolist():
            self.reason[i] = "patience"
        return done


def non_finite_outcome(metrics: dict[str, Any]) -> list[str]:
    """The final training quantities in ``metrics`` that are NaN or infinite: the training loss of the trained
    weights and their gradient norms (``grad_norm_final_<l>``, yatbench/measures/gradients.py). Training has diverged
    then. Test metrics may be infinite in a healthy run (a far test point) and other metrics NaN by definition
    (R² of a constant target): they say nothing about training."""
    return [name for name, value in metrics.items() if (name == "train_loss" or name.startswith("grad_norm_final_"))
            and isinstance(value, float) and not math.isfinite(value)]


def _step(optimizer: torch.optim.Optimizer, objective: Callable[..., Tensor], replicas: Replicas, x: Tensor,
          target: Tensor) -> Tensor:
    """One optimizer step on one batch; returns each seed's loss at the weights the step started from, (S,),
    detached (L-BFGS evaluates the closure again along its line search: those trial points are not the loss)."""

    def loss_and_gradient() -> Tensor:
        replicas.zero_grad()
        loss = objective(replicas.forward, x, target)
        # The gradient of Σ_s loss_s (each seed's gradient is its own loss's). Not loss.backward(ones): a
        # gradient given as a tensor makes torch import sympy (0.6 s) to compare shapes; a sum passes the same
        # ones down.
        loss.sum().backward()
        return loss.detach()

    if not isinstance(optimizer, StackedLBFGS):  # one evaluation per step: no closure needed
        loss = loss_and_gradient()
        plain_step(optimizer)  # optimizer.step(), without importing torch's compiler
        return loss
    return optimizer.step(loss_and_gradient)  # each seed's loss where the step started (its line search reads (S,))
