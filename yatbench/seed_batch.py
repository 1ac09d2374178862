"""Seed batching: train the runs of a sweep that differ only by seed together, as one program.

A tiny network (XOR's 2-2-1 net has 9 parameters) costs a CPU about a millisecond per training
step, nearly all of it per-operation overhead; the arithmetic is nothing. S seeds of the same
config therefore train in about the time of one when their parameters are stacked along a leading
seed dimension and every operation runs once for all of them.

How a group trains (:func:`train_seed_batch`):

- every seed's model is built by ``yatbench.run.build_model`` (seed everything, then build), so
  its initial weights are exactly those of the single run; ``torch.func.stack_module_state`` stacks
  them into (S, ...) leaves;
- the forward pass runs on the stacked leaves: for the four built-in models (Linear, ReLU net,
  gated experts, Yat net) through an explicit ensemble formulation (``torch.bmm``/``baddbmm`` and
  the Yat formula written for a leading seed dimension — the ``stacked`` backend), for any other
  module through ``torch.func.vmap`` over ``functional_call`` (the ``vmap`` backend, several times
  slower per step on a CPU: vmap adds Python work to every operation);
- each seed's loss is its own mean loss; the per-seed losses are *summed*, so each seed's
  gradient is exactly its own, and one optimizer step updates all seeds (Adam, AdamW and SGD are
  elementwise, so stacking changes nothing). Nothing couples seeds: no cross-seed reduction other
  than that sum, no clipping, no shared statistics;
- each seed shuffles its mini-batches with its own ``torch.Generator().manual_seed(seed)``, as
  ``trainer.train`` does, and data drawn per seed (compositional, noisy XOR) is stacked per seed;
- a seed whose epoch loss turns NaN/inf is marked ``diverged`` at that epoch (its weights are kept
  as they were then); it keeps computing in its own slice, which cannot reach the others;
- history rows, the eval schedule and the final metrics are those of ``trainer.train``, per seed.

Eligibility (:func:`execute_grouped`, used by ``yatbench.run.execute_many``): with
``trainer.seed_batching=auto`` (the default), pending runs whose resolved configs are equal apart
from the seed form a group; a group of two or more distinct seeds is trained together when the
per-seed work of one step is small — parameters × batch size ≤ :data:`SMALL_WORK` (2^21: XOR, the
compositional toy, and the ≈17k-parameter MNIST models of the default preset at batch 64) — every
seed's data has the same shapes, and the data brings no objective of its own (PDE problems train
one by one). Groups are cut into chunks of at most ``GROUP_WORK // work`` seeds
(a memory bound). Anything else runs one by one through ``yatbench.run.execute``;
``trainer.seed_batching=off`` forces that.
Each run still gets its own folder, metrics and history, and records ``seed_batched`` and
``seed_batch`` (group size, the group's training time — ``train_time_s`` is its 1/S share — and
the backend).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from yatbench.data.base import Splits
from yatbench.models.attention import GatedExperts
from yatbench.models.linear import LinearNet
from yatbench.models.relu import ReluNet
from yatbench.models.yat import YatNet
from yatbench.nn.yat import YatLayer
from yatbench.trainer import (
    TrainerConfig,
    TrainResult,
    final_metrics,
    loss_function,
    loss_target,
    make_optimizer,
    max_prob,
    predict_classes,
    progress_bar,
    set_metrics,
)

if TYPE_CHECKING:
    from yatbench.config import RunSpec
    from yatbench.run import RunOutcome

__all__ = [
    "GROUP_WORK",
    "SMALL_WORK",
    "XOR_PRESET_MODELS",
    "bench_seed_batch",
    "execute_grouped",
    "stacked_supported",
    "train_seed_batch",
]

# A run is "small" when parameters × batch size (≈ multiply-adds of one forward step) is at most this:
# then a step is dominated by per-operation overhead and batching seeds pays. 2^21 takes in the
# MNIST-size models of the default preset (≈17k parameters, batch 64), where 5 seeds together
# measured 1.0–1.8× faster than one by one on one CPU thread; XOR and the compositional toy are far below.
SMALL_WORK = 2**21
# At most this much work (seeds × parameters × batch) per stacked step: bounds a group's memory.
GROUP_WORK = 2**28

Tensors = dict[str, Tensor]
Forward = Callable[[Tensors, Tensor], Tensor]


# --------------------------------------------------------------------------- stacked forward


def _linear(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """Per-seed ``x Wᵀ + b``: x (S, N, i), weight (S, o, i), bias (S, o) → (S, N, o)."""
    wt = weight.transpose(-1, -2)
    return torch.bmm(x, wt) if bias is None else torch.baddbmm(bias.unsqueeze(-2), x, wt)


def _yat(x: Tensor, layer: YatLayer, prefix: str, tensors: Tensors) -> Tensor:
    """The Yat layer's forward (``yatbench/nn/yat.py``, same arithmetic) with a leading seed dimension.

    Plain autograd: the layer's custom Function is vmap-compatible, but vmapping it costs several
    times more per step than this whole formula.
    """
    weight, bias, alpha = tensors[f"{prefix}weight"], tensors.get(f"{prefix}bias"), tensors.get(f"{prefix}alpha")
    eps = layer.epsilon
    inside = bias is not None and layer.bias_mode == "inside"
    outside = bias is not None and layer.bias_mode == "outside"
    wt = weight.transpose(-1, -2)
    z = torch.baddbmm(bias.unsqueeze(-2), x, wt) if inside else torch.bmm(x, wt)  # (S, N, m)
    xx = torch.linalg.vector_norm(x, dim=-1).square()  # ‖x‖², (S, N)
    wb = torch.linalg.vector_norm(weight, dim=-1).square()  # ‖w‖², (S, m)
    wb = wb + (2 * bias + eps) if inside else wb + eps
    den = torch.add(wb.unsqueeze(-2), z, alpha=-2.0) + xx.unsqueeze(-1)  # D + ε before the clamp
    kernel = getattr(layer, "kernel", "yat")  # the ablation controls of yatbench/nn/yat.py
    y = z * z if kernel == "square" else 1 / den.clamp_min(eps) if kernel == "distance" else z / den.clamp_min(eps) * z
    if alpha is not None:
        y = y * alpha.unsqueeze(-2)
    if outside:
        y = y + bias.unsqueeze(-2)
    return y


def _call(module: nn.Module, prefix: str, tensors: Tensors, x: Tensor) -> Tensor:
    """``module(x)`` for every seed at once, reading its parameters from the stacked ``tensors``."""
    kind = type(module)
    if kind is nn.Linear:
        return _linear(x, tensors[f"{prefix}weight"], tensors.get(f"{prefix}bias"))
    if kind is nn.ReLU:
        return torch.relu(x)
    if kind is nn.Identity:
        return x
    if kind is nn.Sequential:
        for index, child in enumerate(module):
            x = _call(child, f"{prefix}{index}.", tensors, x)
        return x
    if kind is YatLayer:
        return _yat(x, module, prefix, tensors)
    if kind is LinearNet:
        return _call(module.linear, f"{prefix}linear.", tensors, x)
    if kind is ReluNet:
        return _call(module.readout, f"{prefix}readout.", tensors, _call(module.hidden, f"{prefix}hidden.", tensors, x))
    if kind is YatNet:
        return _call(module.readout, f"{prefix}readout.", tensors, _call(module.yat, f"{prefix}yat.", tensors, x))
    if kind is GatedExperts:
        gate = _call(module.gate, f"{prefix}gate.", tensors, x)
        gate_probs = torch.softmax(gate / module.temperature, dim=-1)  # (S, N, K)
        expert = _call(module.expert, f"{prefix}expert.", tensors, x)
        expert = expert.unflatten(-1, (module.experts, module.out_features))  # (S, N, K, out)
        return (gate_probs.unsqueeze(-1) * expert).sum(dim=-2)
    raise TypeError(f"no stacked forward for {kind.__name__}")


_COMPOSITES = (nn.Sequential, LinearNet, ReluNet, YatNet, GatedExperts)
_LEAVES = (nn.Linear, nn.ReLU, nn.Identity, YatLayer)


def stacked_supported(model: nn.Module) -> bool:
    """Whether the explicit ensemble formulation covers ``model`` (exact types, so subclasses don't)."""
    kind = type(model)
    if kind in _LEAVES:
        return True
    return kind in _COMPOSITES and all(stacked_supported(child) for child in model.children())


def _make_forward(prototype: nn.Module, backend: str) -> Forward:
    """``forward(tensors, x)`` → (S, N, out) for x (S, N, in), by the chosen backend."""
    if backend == "stacked":
        return lambda tensors, x: _call(prototype, "", tensors, x)
    from torch.func import functional_call, vmap

    base = prototype
    names = {name for name, _ in base.named_parameters()}

    def one(tensors: Tensors, x: Tensor) -> Tensor:
        params = {k: v for k, v in tensors.items() if k in names}
        buffers = {k: v for k, v in tensors.items() if k not in names}
        return functional_call(base, (params, buffers), (x,))

    return vmap(one)


# --------------------------------------------------------------------------- data


@dataclass
class _Set:
    """One evaluation or training set for all seeds: x (S, N, d) and y (S, N, ...), views when shared."""

    x: Tensor
    y: Tensor
    target: Tensor  # y in the loss's form (float column for BCE), (S, N, ...)
    shared: bool  # every seed has the same data: x and y are expanded views of one copy

    def batch(self, index: Tensor | None) -> tuple[Tensor, Tensor]:
        """The mini-batch ``index`` (S, B) of every seed, or the whole set when ``index`` is None."""
        if index is None:
            return self.x, self.target
        if self.shared:
            return self.x[0][index], self.target[0][index]
        rows = torch.arange(index.shape[0], device=index.device).unsqueeze(-1)
        return self.x[rows, index], self.target[rows, index]


def _make_set(xs: Sequence[Tensor], ys: Sequence[Tensor], splits: Splits, device: torch.device) -> _Set:
    """Stack one set of every seed, sharing one copy when all seeds hold the same tensors."""
    size = len(xs)
    shared = all(torch.equal(x, xs[0]) and torch.equal(y, ys[0]) for x, y in zip(xs, ys, strict=True))
    if shared:
        x0, y0 = xs[0].to(device), ys[0].to(device)
        t0 = loss_target(y0, splits)
        return _Set(x0.expand(size, *x0.shape), y0.expand(size, *y0.shape), t0.expand(size, *t0.shape), True)
    x, y = torch.stack(list(xs)).to(device), torch.stack(list(ys)).to(device)
    return _Set(x, y, loss_target(y, splits), False)


def same_shapes(all_splits: Sequence[Splits]) -> bool:
    """Whether every seed's data has the same task, sizes, eval sets and tensor shapes."""
    first = all_splits[0]

    def layout(s: Splits) -> tuple[Any, ...]:
        sets = [(s.x_train, s.y_train), (s.x_test, s.y_test), *s.eval_sets.values()]
        return (s.task, s.in_features, s.out_features, tuple(s.eval_sets),
                tuple((tuple(x.shape), tuple(y.shape), x.dtype, y.dtype) for x, y in sets))

    return all(layout(s) == layout(first) for s in all_splits)


# --------------------------------------------------------------------------- training


def _per_seed_loss(criterion: nn.Module, output: Tensor, target: Tensor) -> Tensor:
    """Each seed's mean loss, (S,): the criterion with ``reduction='none'``, averaged per seed."""
    if isinstance(criterion, nn.CrossEntropyLoss):
        output = output.movedim(-1, 1)  # (S, C, N): class dimension second
    return criterion(output, target).flatten(1).mean(1)


def train_seed_batch(models: list[nn.Module], splits: Splits | Sequence[Splits], cfg: TrainerConfig,
                     device: torch.device, seeds: list[int], label: str = "training",
                     backend: str = "auto") -> list[TrainResult]:
    """Train ``models`` (one per seed, same architecture, on ``device``) together; one result per seed.

    ``splits`` is one dataset for all seeds or one per seed (same shapes). Each result has the fields
    ``trainer.train`` gives a single run — status, history rows on the same schedule, final metrics,
    steps, diverged epoch — and the trained weights are copied back into each seed's model.
    ``train_time_s`` is the group's training time divided by the number of seeds; ``seed_batch``
    holds the group's size, time and backend. ``backend``: ``stacked`` (built-in models only),
    ``vmap`` (any module), or ``auto`` (stacked where supported).
    """
    from torch.func import stack_module_state

    size = len(models)
    if size != len(seeds) or size == 0:
        raise ValueError(f"{size} models for {len(seeds)} seeds")
    all_splits = [splits] * size if isinstance(splits, Splits) else list(splits)
    if len(all_splits) != size or not same_shapes(all_splits):
        raise ValueError("seed batching needs one dataset per seed, all of the same shapes")
    if backend == "auto":
        backend = "stacked" if stacked_supported(models[0]) else "vmap"
    if backend == "stacked" and not stacked_supported(models[0]):
        raise ValueError(f"no stacked forward for {type(models[0]).__name__}; use backend='vmap'")
    first = all_splits[0]
    task = first.task

    params, buffers = stack_module_state(models)
    tensors: Tensors = {**params, **buffers}
    prototype = _prototype(models[0])
    forward = _make_forward(prototype, backend)
    optimizer = make_optimizer(list(params.values()), cfg)
    criterion = loss_function(first)
    criterion.reduction = "none"

    def make(name: str) -> _Set:
        if name == "train":
            return _make_set([s.x_train for s in all_splits], [s.y_train for s in all_splits], first, device)
        if name == "test":
            return _make_set([s.x_test for s in all_splits], [s.y_test for s in all_splits], first, device)
        return _make_set([s.eval_sets[name][0] for s in all_splits], [s.eval_sets[name][1] for s in all_splits],
                         first, device)

    train_set, test_set = make("train"), make("test")

    @torch.no_grad()
    def evaluate_all(data: _Set) -> list[dict[str, float]]:
        prototype.eval()
        output = forward(tensors, data.x)
        prototype.train()
        losses = _per_seed_loss(criterion, output, data.target).tolist()
        if task == "classification":
            accuracy = (predict_classes(output) == data.y).float().mean(-1).tolist()
            sharp = max_prob(output).mean(-1).tolist()
            return [set_metrics(task, loss, accuracy=acc, confidence=c)
                    for loss, acc, c in zip(losses, accuracy, sharp, strict=True)]
        variance = data.y.float().flatten(1).var(1, unbiased=False).tolist()
        return [set_metrics(task, loss, variance=var) for loss, var in zip(losses, variance, strict=True)]

    n_train = train_set.x.shape[1]
    batch_size = cfg.batch_size if 0 < cfg.batch_size < n_train else n_train
    generators = [torch.Generator().manual_seed(seed) for seed in seeds]
    histories: list[list[dict[str, float]]] = [[] for _ in range(size)]
    diverged: dict[int, tuple[int, int, Tensors]] = {}  # seed index → (epoch, steps, weights then)
    active = list(range(size))
    steps = 0
    update_every = max(1, cfg.epochs // 200)
    start = time.perf_counter()
    with progress_bar(cfg.progress, cfg.epochs, label) as advance:
        for epoch in range(1, cfg.epochs + 1):
            if batch_size == n_train:
                batches: Sequence[Tensor | None] = (None,)
            else:
                orders = torch.stack([torch.randperm(n_train, generator=g) for g in generators])
                batches = orders.to(device).split(batch_size, dim=1)
            epoch_loss = torch.zeros(size, device=device)
            for index in batches:
                x, target = train_set.batch(index)
                losses = _per_seed_loss(criterion, forward(tensors, x), target)
                optimizer.zero_grad(set_to_none=True)
                losses.sum().backward()  # a sum: each seed's gradient is its own loss's
                optimizer.step()
                epoch_loss += losses.detach()
                steps += 1
            train_loss = [value / len(batches) for value in epoch_loss.tolist()]
            for i in [i for i in active if not math.isfinite(train_loss[i])]:
                diverged[i] = (epoch, steps, {k: v[i].detach().clone() for k, v in tensors.items()})
            active = [i for i in active if i not in diverged]
            if not active:
                break
            if epoch % cfg.eval_every == 0 or epoch == cfg.epochs:
                test = evaluate_all(test_set)
                for i in active:
                    histories[i].append({"epoch": epoch, "step": steps, "train_loss": train_loss[i],
                                         **{f"test_{k}": v for k, v in test[i].items()}})
            if epoch % update_every == 0:
                mean = sum(train_loss[i] for i in active) / len(active)
                advance(epoch, info=f"{len(active)}/{size} seeds · mean loss {mean:.4g}")
    group_time = time.perf_counter() - start

    finals: dict[int, dict[str, Any]] = {}
    if active:
        evaluated = {"train": evaluate_all(train_set), "test": evaluate_all(test_set)}
        for name in first.eval_sets:
            evaluated[name] = evaluate_all(make(name))
        finals = {i: final_metrics(first, {k: v[i] for k, v in evaluated.items()}, histories[i]) for i in active}

    info = {"seeds": size, "group_train_time_s": round(group_time, 4), "backend": backend}
    results = []
    for i, model in enumerate(models):
        weights = diverged[i][2] if i in diverged else {k: v[i] for k, v in tensors.items()}
        _load(model, weights)
        epoch_diverged, steps_run = (diverged[i][0], diverged[i][1]) if i in diverged else (None, steps)
        results.append(TrainResult("diverged" if i in diverged else "ok", histories[i], finals.get(i, {}),
                                   steps_run, group_time / size, epoch_diverged, seed_batch=dict(info)))
    return results


def _prototype(model: nn.Module) -> nn.Module:
    """A weightless copy of the architecture (on the meta device): the stacked forward reads its options."""
    import copy

    return copy.deepcopy(model).to("meta")


@torch.no_grad()
def _load(model: nn.Module, weights: Tensors) -> None:
    """Copy one seed's slice of the stacked tensors into its own module."""
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        tensor.copy_(weights[name])


# --------------------------------------------------------------------------- grouping and running


def work_per_seed(params: int, batch_size: int, n_train: int) -> int:
    """Parameters × effective batch size: the size of one training step of one seed."""
    batch = batch_size if 0 < batch_size < n_train else n_train
    return params * batch


def execute_grouped(specs: list[RunSpec], force: bool = False) -> list[RunOutcome]:
    """Run ``specs`` (results in their order): completed runs are skipped per seed, runs that differ
    only by seed are trained together when eligible (see the module doc), the rest one by one."""
    from yatbench.run import completed_outcome, execute

    outcomes: dict[int, RunOutcome] = {}
    groups: dict[str, list[int]] = {}
    for index, spec in enumerate(specs):
        done = completed_outcome(spec, force)
        if done is not None:
            outcomes[index] = done
        elif spec.trainer.seed_batching == "auto":
            groups.setdefault(spec.seedless_key, []).append(index)
        else:
            groups[f"single:{index}"] = [index]
    for members in sorted(groups.values(), key=lambda m: m[0]):
        seen: set[int] = set()
        batch = [i for i in members if not (specs[i].seed in seen or seen.add(specs[i].seed))]
        if len(batch) >= 2:
            outcomes.update(zip(batch, _run_group([specs[i] for i in batch], force), strict=True))
        for index in members:
            if index not in outcomes:
                outcomes[index] = execute(specs[index], force=force)
    return [outcomes[i] for i in range(len(specs))]


def _run_group(specs: list[RunSpec], force: bool) -> list[RunOutcome]:
    """Train seeds of one config together when small enough, in chunks; otherwise one by one."""
    from yatbench.device import resolve_device
    from yatbench.results import ensure_writable
    from yatbench.run import build_model, count_params, execute, finish

    first = specs[0]
    ensure_writable(first.results_dir)
    device = resolve_device(first.device)
    started = time.perf_counter()
    first_splits = first.dataset.load(first.seed)
    probe = first.model.build(first_splits.in_features, first_splits.out_features)
    work = work_per_seed(count_params(probe), first.trainer.batch_size, first_splits.x_train.shape[0])
    if work > SMALL_WORK or first_splits.objective is not None:  # PDE objectives train one by one
        return [execute(spec, force=force) for spec in specs]
    all_splits = [first_splits, *(spec.dataset.load(spec.seed) for spec in specs[1:])]
    if not same_shapes(all_splits):
        return [execute(spec, force=force) for spec in specs]
    load_time = time.perf_counter() - started

    chunk = max(2, GROUP_WORK // max(work, 1))
    outcomes: list[RunOutcome] = []
    for lo in range(0, len(specs), chunk):
        part, part_splits = specs[lo:lo + chunk], all_splits[lo:lo + chunk]
        chunk_start = time.perf_counter()
        models = [build_model(spec, splits, device) for spec, splits in zip(part, part_splits, strict=True)]
        label = f"{first.dataset.name} · {first.model.name} · {len(part)} seeds"
        results = train_seed_batch(models, part_splits, first.trainer, device, [s.seed for s in part], label=label)
        # Each run's time is its share of the group's (data loading, building and training).
        share = (time.perf_counter() - chunk_start) / len(part) + load_time / len(specs)
        for spec, splits, model, result in zip(part, part_splits, models, results, strict=True):
            outcomes.append(finish(spec, splits, model, device, result, time.perf_counter() - share,
                                   seed_batched=True, replace=force))
    return outcomes


# --------------------------------------------------------------------------- benchmark


# The model configurations of the ``xor`` sweep preset (conf/sweep/xor.yaml).
XOR_PRESET_MODELS: tuple[tuple[str, ...], ...] = (
    ("model=yat", "model.hidden=[1]"),
    ("model=relu", "model.hidden=[2]"),
    ("model=relu", "model.hidden=[4]"),
    ("model=relu", "model.hidden=[16]"),
    ("model=linear",),
)


def bench_seed_batch(seeds: int = 100, epochs: int = 2000,
                     models: Sequence[Sequence[str]] = XOR_PRESET_MODELS, encoding: str = "pm1",
                     single_seeds: int = 3, device: str = "cpu") -> list[dict[str, Any]]:
    """Seed-batched vs one-by-one training time on 4-point XOR, for the same work.

    For each model (a list of config overrides), ``seeds`` seeds of the XOR config are trained
    together for ``epochs`` full-batch steps by :func:`train_seed_batch`, and ``single_seeds`` of
    them one by one by ``trainer.train``; the one-by-one time of all ``seeds`` is extrapolated from
    the per-seed mean. Only training is timed (no data loading, no run folders). One row per model:
    seconds, ms per step, ``batched_vs_one_seed`` (S seeds together / one seed alone) and
    ``speedup`` (S seeds one by one / together).
    """
    from yatbench.config import compose_config, validate
    from yatbench.device import resolve_device
    from yatbench.run import build_model
    from yatbench.trainer import train

    def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
        if torch_device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        out = fn()
        if torch_device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start, out

    torch_device = resolve_device(device)
    rows = []
    for overrides in models:
        spec = validate(compose_config(["dataset=xor", f"dataset.encoding={encoding}", *overrides,
                                        f"trainer.epochs={epochs}", "trainer.progress=false"]))
        splits = spec.dataset.load(0)
        warm = [build_model(_with_seed(spec, s), splits, torch_device) for s in range(2)]
        train_seed_batch(warm, splits, dataclasses.replace(spec.trainer, epochs=10), torch_device, [0, 1])
        built = [build_model(_with_seed(spec, s), splits, torch_device) for s in range(seeds)]
        batched, results = timed(lambda built=built, spec=spec, splits=splits: train_seed_batch(
            built, splits, spec.trainer, torch_device, list(range(seeds))))
        single = []
        for s in range(single_seeds):
            one = build_model(_with_seed(spec, s), splits, torch_device)
            single.append(timed(lambda one=one, s=s, spec=spec, splits=splits: train(
                one, splits, spec.trainer, torch_device, s))[0])
        one_seed = sum(single) / len(single)
        rows.append({"model": " ".join(o.split("=", 1)[1] for o in overrides), "seeds": seeds, "steps": epochs,
                     "batched_s": round(batched, 3), "one_seed_s": round(one_seed, 3),
                     "one_by_one_s": round(one_seed * seeds, 2),
                     "batched_vs_one_seed": round(batched / one_seed, 2),
                     "speedup": round(one_seed * seeds / batched, 1),
                     "batched_ms_per_step": round(1e3 * batched / epochs, 3),
                     "single_ms_per_step": round(1e3 * one_seed / epochs, 3),
                     "solved": sum(bool(r.metrics.get("solved")) for r in results)})
    return rows


def _with_seed(spec: RunSpec, seed: int) -> RunSpec:
    """A copy of ``spec`` with another seed (for the benchmark: nothing is written)."""
    return dataclasses.replace(spec, seed=seed, resolved={**spec.resolved, "seed": seed})
