"""The S models of a training run as the loop sees them: one forward over (S, N, in), leaves, write-back.

Stacked (``yatbench/nn/stacked.py``): the seeds' parameters are stacked along a leading seed dimension
and the model's ``forward_stacked`` (or vmap) runs once for all; after training each seed's slice is
copied back into its own module. Not stacked: the one module trains in place. ``yatbench/train/trainer.py``
decides which and runs the loop. A stack's trained tensors are views of one flat buffer (and their gradients of
another), which an elementwise optimizer steps as one tensor (:meth:`Replicas.parameters`).

A stack may be *compacted* to the seeds still training (:meth:`Replicas.compact`): the others' tensors are
parked, and the stack holds only the running seeds, so a group whose seeds stop at different epochs pays for
those still running, not for all. Every method that names seeds takes their *seed index* (0 … S − 1, the order
of ``models``) and finds each one's position in the stack; :meth:`Replicas.expand` puts every seed back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch
from torch import Tensor, nn

from yatbench.data.base import Splits
from yatbench.nn.stacked import load_slice, stack_models, stacked_forward
from yatbench.train.objective import set_scores, stacked_metrics
from yatbench.train.stacked import SeedSet


class Replicas:
    """The S models as the loop sees them: a forward over (S, N, in), leaves to optimise, write-back."""

    def __init__(self, models: Sequence[nn.Module], stacked: bool) -> None:
        self.models, self.prototype = list(models), models[0]
        self.members = np.arange(len(self.models))  # the seed index at each position of the stack
        self._position = np.arange(len(self.models))  # each seed's position in the stack (-1: parked)
        self._parked: dict[str, Tensor] | None = None  # every seed's tensors once the stack has been compacted
        modules = list(self.prototype.modules())
        plain = all(type(m).train is nn.Module.train and type(m).eval is nn.Module.eval
                    and type(m).__setattr__ is nn.Module.__setattr__ for m in modules)
        # Whose ``training`` flags :meth:`_mode` sets, when plain: the prototype's modules as they are now (a module
        # added to it later would keep its flag; nothing in a run adds one, and a stacked forward could not use it).
        self._modules = modules if plain else None
        if stacked:
            params, buffers = stack_models(self.models)
            self._grad = {k: v.requires_grad for k, v in params.items()}  # parameter name → trained
            self._restack({**params, **buffers})
            own, self.backend = stacked_forward(self.prototype)
            self.forward: Callable[[Tensor], Tensor] = lambda x: own(self.tensors, x)
        else:
            if len(models) != 1:
                raise ValueError("a group of several seeds trains stacked; this one cannot")
            self.tensors, self.backend, self.flat = {}, "module", None
            self.leaves: list[Tensor] = list(self.prototype.parameters())
            self.forward = lambda x: self.prototype(x[0]).unsqueeze(0)

    def positions(self, seeds: Sequence[int]) -> list[int]:
        """The stack positions of the seeds ``seeds`` (seed indices), which must all be in the stack."""
        found = self._position[np.asarray(seeds, dtype=np.int64)]
        if found.size and found.min() < 0:
            raise ValueError("a seed outside the compacted stack was asked for")
        return found.tolist()

    def snapshot(self, index: int) -> dict[str, Tensor] | None:
        """A copy of seed ``index``'s stacked tensors (a diverged seed keeps its weights of then)."""
        if not self.tensors:
            return None
        (at,) = self.positions([index])
        return {k: v[at:at + 1].detach().clone() for k, v in self.tensors.items()}

    def state(self) -> dict[str, Tensor]:
        """The stack's tensors with a leading seed dimension (in stack order): the stacked tensors, or the module's
        parameters and buffers as a stack of one (views of them: writing into these writes into the module)."""
        if self.tensors:
            return self.tensors
        return {k: v.unsqueeze(0) for k, v in self.prototype.state_dict(keep_vars=True).items()}

    def copy(self) -> dict[str, Tensor]:
        """A detached copy of every seed's tensors, by seed index (where :meth:`keep` stores the best weights)."""
        self.expand()
        return {k: v.detach().clone() for k, v in self.state().items()}

    def keep(self, store: dict[str, Tensor], indices: Sequence[int]) -> None:
        """Copy the current weights of the seeds ``indices`` into ``store`` (a :meth:`copy`); the others' entries
        stay as they were."""
        if len(indices) == len(self.members) == len(self.models):  # every seed, the stack whole: position = index
            with torch.no_grad():
                for name, value in self.state().items():
                    store[name].copy_(value)
        elif indices:
            rows = torch.as_tensor(list(indices), dtype=torch.long)  # one index tensor, not a list read per tensor
            at = torch.as_tensor(self.positions(indices), dtype=torch.long)
            with torch.no_grad():
                for name, value in self.state().items():
                    store[name][rows.to(value.device)] = value[at.to(value.device)].detach()

    def restore(self, store: dict[str, Tensor], indices: Sequence[int]) -> None:
        """Set the weights of the seeds ``indices`` to their entries in ``store``, in place (the optimizer's leaves
        stay the same tensors); the other seeds' weights are not touched."""
        if indices:
            rows = torch.as_tensor(list(indices), dtype=torch.long)
            at = torch.as_tensor(self.positions(indices), dtype=torch.long)
            with torch.no_grad():
                for name, value in self.state().items():
                    value[at.to(value.device)] = store[name][rows.to(value.device)]

    def compact(self, keep: Sequence[int]) -> tuple[list[Tensor], Callable[[Tensor], Tensor]]:
        """Shrink the stack to the seeds ``keep`` (seed indices, in the order they are to take), parking the others'
        tensors as they are now. New tensors replace the old (an optimizer over the old ones must move its state:
        ``yatbench/train/trainer.py``); returns the old :meth:`parameters` of an elementwise optimizer and the map
        that takes a tensor laid out as one of them (its per-entry state) to the compacted stack's layout.

        Every operation of a stacked forward is per seed, so a seed's numbers do not depend on which seeds train
        beside it (to the rounding a kernel's vector width allows, README "Seed batching").
        """
        if not self.tensors:
            raise ValueError("only a stack of seeds can be compacted")
        rows = torch.as_tensor(self.positions(keep), dtype=torch.long)
        old = self.parameters(elementwise=True)
        segments, size = self._segments, len(self.members)
        with torch.no_grad():
            self._park()
            self._restack({k: v.detach()[rows.to(v.device)] for k, v in self.tensors.items()})
        self.members = np.asarray(keep, dtype=np.int64)
        self._position = np.full(len(self.models), -1, dtype=np.int64)
        self._position[self.members] = np.arange(len(self.members))

        def move(value: Tensor) -> Tensor:
            at = rows.to(value.device)
            if not segments:  # one tensor per parameter, seeds along the first dimension
                return value[at]
            return torch.cat([part.view(size, -1)[at].reshape(-1)  # each parameter's block: (S, entries per seed)
                              for part in value.split([size * n for n in segments])])

        return old, move

    def expand(self) -> None:
        """Put every seed back in the stack, in seed order (after :meth:`compact`; nothing to do otherwise)."""
        if len(self.members) == len(self.models):  # compact always drops seeds: the stack is whole, in seed order
            return
        with torch.no_grad():
            self._park()
            self._restack({k: v.clone() for k, v in self._parked.items()})
        self.members = np.arange(len(self.models))
        self._position = np.arange(len(self.models))

    def _park(self) -> None:
        """Copy the stack's current tensors to the parked store (every seed's, by seed index)."""
        if self._parked is None:
            self._parked = {k: torch.empty((len(self.models), *v.shape[1:]), dtype=v.dtype, device=v.device)
                            for k, v in self.tensors.items()}
        members = torch.as_tensor(self.members, dtype=torch.long)
        for name, value in self.tensors.items():
            self._parked[name][members.to(value.device)] = value.detach()

    def _restack(self, tensors: dict[str, Tensor]) -> None:
        """New stacked tensors (leaves where they are parameters); the forward reads ``self.tensors`` at each call.

        The trained tensors (of one dtype and device) are laid end to end in one flat buffer, each a leaf that views
        its stretch of it (seed dimension first, as before), and their gradients likewise in ``self.flat.grad``:
        backward adds each leaf's gradient into its stretch, and an elementwise optimizer steps the flat buffer as
        one tensor (:meth:`parameters`). torch's Adam runs the same ops on it as on each leaf, so every entry gets
        the same numbers, in a quarter of the ops for XOR's five tensors (55 → 11): 136 against 55 µs a step
        (torch 2.14, one thread).
        """
        trained = [k for k in tensors if self._grad.get(k, False)]
        self.flat, self._segments = None, []
        views: dict[str, Tensor] = {}
        if trained and len({(tensors[k].dtype, tensors[k].device) for k in trained}) == 1:
            flat = torch.cat([tensors[k].detach().reshape(-1) for k in trained])
            grad = torch.zeros_like(flat)
            sizes = [tensors[k].numel() for k in trained]
            for k, part, part_grad in zip(trained, flat.split(sizes), grad.split(sizes), strict=True):
                views[k] = part.view(tensors[k].shape).requires_grad_()
                views[k].grad = part_grad.view(tensors[k].shape)
            self.flat = flat.detach().requires_grad_()  # the optimizer's alias of the same storage
            self.flat.grad = grad
            self._segments = [math.prod(tensors[k].shape[1:]) for k in trained]  # entries per seed
        self.tensors = {k: views[k] if k in views else v.contiguous().requires_grad_(self._grad.get(k, False))
                        for k, v in tensors.items()}
        self.leaves = [v for k, v in self.tensors.items() if k in self._grad]

    def parameters(self, elementwise: bool) -> list[Tensor]:
        """What an optimizer steps: the flat buffer for an ``elementwise`` one (Adam, AdamW, SGD: each entry alone)
        when there is one, else the leaves, one per parameter with seeds first (L-BFGS reads each seed's rows)."""
        return [self.flat] if elementwise and self.flat is not None else self.leaves

    def zero_grad(self) -> None:
        """Clear the gradients before a backward: zero the flat buffer they are added into, or drop the leaves'."""
        if self.flat is not None:
            self.flat.grad.zero_()
        else:
            for leaf in self.leaves:
                leaf.grad = None

    def gradient_norms(self) -> Tensor:
        """The gradient norm of each seed in the stack (stack order) over all its parameters after the last
        backward, (S,): float32, so inf when the sum of squares overflows, NaN when a gradient is. Read-only: the
        training numbers do not change."""
        if self.flat is not None and len(self.members) == 1:  # one seed: its gradients are one row already
            return torch.linalg.vector_norm(self.flat.grad.view(1, -1), dim=1)
        grads = [leaf.grad for leaf in self.leaves if leaf.grad is not None]
        if not grads:
            return torch.zeros(len(self.members) if self.tensors else 1, device=self.leaves[0].device)
        if self.tensors:  # stacked: (S, ...) each; one norm over each seed's row of all its gradients
            return torch.linalg.vector_norm(torch.cat([g.flatten(1) for g in grads], 1), dim=1)
        return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])).unsqueeze(0)

    def write_back(self, kept: dict[int, dict[str, Tensor] | None]) -> None:
        """Copy each seed's slice (or its ``kept`` snapshot) back into its own module."""
        if not self.tensors:
            return  # the module trained in place
        self.expand()
        for index, model in enumerate(self.models):
            snapshot = kept.get(index)
            load_slice(model, snapshot, 0) if snapshot else load_slice(model, self.tensors, index)

    def evaluate(self, data: SeedSet, splits: Splits, terms: bool = False) -> list[dict[str, float]]:
        """Each seed's metrics on ``data`` (the stack's, in stack order); ``terms``: with the objective's named
        terms, scored at the points alone (no targets)."""
        with self._evaluating():
            output = self.forward(data.x)
        scores = stacked_metrics(output, data.y, splits)
        if terms and hasattr(splits.objective, "parts"):  # in evaluation mode, with autograd: they differentiate
            with self._evaluating(graph=True):
                parts = splits.objective.parts(self.forward, data.x)
            scores = [{**score, **{k: v for k, v in part.items() if k != "loss"}}
                      for score, part in zip(scores, parts, strict=True)]
        return scores

    def score(self, data: SeedSet, splits: Splits, seeds: Sequence[int]) -> tuple[dict[str, list[float]],
                                                                                   np.ndarray | None]:
        """The metrics of the seeds ``seeds`` on ``data`` as columns (``yatbench.train.objective.metric_columns``),
        and their outcome on each example (``per_example``) as an array (len(seeds), N), both in that order."""
        with self._evaluating():
            output = self.forward(data.x)
        at = torch.as_tensor(self.positions(seeds), dtype=torch.long, device=output.device)  # one index, read twice
        columns, examples = set_scores(output, data.y, splits, at, data.target)
        return columns, None if examples is None else examples.cpu().numpy()

    @contextmanager
    def _evaluating(self, graph: bool = False) -> Iterator[None]:
        """The forward in evaluation mode, without a graph unless ``graph`` (read-only: training numbers do not
        change)."""
        self._mode(False)
        try:
            with torch.set_grad_enabled(graph and torch.is_grad_enabled()):
                yield
        finally:
            self._mode(True)

    def _mode(self, training: bool) -> None:
        """``prototype.train(training)``. Where no module overrides ``train``, ``eval`` or ``__setattr__``, the flags
        are set directly, as ``nn.Module.train`` would set them (its recursion costs a small network's evaluation
        more than some of its arithmetic)."""
        if self._modules is None:
            self.prototype.train(training)
        else:
            for module in self._modules:
                object.__setattr__(module, "training", training)

    def parts(self, data: SeedSet, splits: Splits, seeds: Sequence[int] | None = None) -> list[dict[str, float]]:
        """The objective terms on a set with targets ``data`` (its training or validation points), by
        ``splits.objective.parts`` (``yatbench/train/trainer.py``): of each seed in the stack, or of ``seeds``."""
        every = splits.objective.parts(self.forward, data.x, data.target)
        return every if seeds is None else [every[p] for p in self.positions(seeds)]
