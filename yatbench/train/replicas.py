"""The S models of a training run as the loop sees them: one forward over (S, N, in), leaves, write-back.

Stacked (``yatbench/nn/stacked.py``): the seeds' parameters are stacked along a leading seed dimension
and the model's ``forward_stacked`` (or vmap) runs once for all; after training each seed's slice is
copied back into its own module. Not stacked: the one module trains in place. ``yatbench/train/trainer.py``
decides which and runs the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from yatbench.data.base import Splits
from yatbench.nn.stacked import load_slice, stack_models, stacked_forward
from yatbench.train.objective import per_example, stacked_metrics
from yatbench.train.stacked import SeedSet


class Replicas:
    """The S models as the loop sees them: a forward over (S, N, in), leaves to optimise, write-back."""

    def __init__(self, models: Sequence[nn.Module], stacked: bool) -> None:
        self.models, self.prototype = list(models), models[0]
        if stacked:
            params, buffers = stack_models(self.models)
            self.tensors = {**params, **buffers}
            self.leaves: list[Tensor] = list(params.values())
            own, self.backend = stacked_forward(self.prototype)
            self.forward: Callable[[Tensor], Tensor] = lambda x: own(self.tensors, x)
        else:
            if len(models) != 1:
                raise ValueError("a group of several seeds trains stacked; this one cannot")
            self.tensors, self.backend = {}, "module"
            self.leaves = list(self.prototype.parameters())
            self.forward = lambda x: self.prototype(x[0]).unsqueeze(0)

    def snapshot(self, index: int) -> dict[str, Tensor] | None:
        """A copy of seed ``index``'s stacked tensors (a diverged seed keeps its weights of then)."""
        return {k: v[index:index + 1].detach().clone() for k, v in self.tensors.items()} if self.tensors else None

    def state(self) -> dict[str, Tensor]:
        """Every seed's tensors with a leading seed dimension: the stacked tensors, or the module's parameters
        and buffers as a stack of one (views of them: writing into these writes into the module)."""
        if self.tensors:
            return self.tensors
        return {k: v.unsqueeze(0) for k, v in self.prototype.state_dict(keep_vars=True).items()}

    def copy(self) -> dict[str, Tensor]:
        """A detached copy of :meth:`state` (where :meth:`keep` stores the seeds' best weights)."""
        return {k: v.detach().clone() for k, v in self.state().items()}

    def keep(self, store: dict[str, Tensor], indices: Sequence[int]) -> None:
        """Copy the current weights of the seeds ``indices`` into ``store`` (a :meth:`copy`); the others' entries
        stay as they were."""
        if indices:
            rows = torch.as_tensor(list(indices), dtype=torch.long)  # one index tensor, not a list read per tensor
            with torch.no_grad():
                for name, value in self.state().items():
                    store[name][rows.to(value.device)] = value[rows.to(value.device)].detach()

    def restore(self, store: dict[str, Tensor], indices: Sequence[int]) -> None:
        """Set the weights of the seeds ``indices`` to their entries in ``store``, in place (the optimizer's leaves
        stay the same tensors); the other seeds' weights are not touched."""
        if indices:
            rows = torch.as_tensor(list(indices), dtype=torch.long)
            with torch.no_grad():
                for name, value in self.state().items():
                    value[rows.to(value.device)] = store[name][rows.to(value.device)]

    def gradient_norms(self) -> Tensor:
        """Each seed's gradient norm over all its parameters after the last backward, (S,): float32, so inf when
        the sum of squares overflows, NaN when a gradient is. Read-only: the training numbers do not change."""
        grads = [leaf.grad for leaf in self.leaves if leaf.grad is not None]
        if not grads:
            return torch.zeros(len(self.models) if self.tensors else 1, device=self.leaves[0].device)
        if self.tensors:  # stacked: (S, ...) each; one norm over each seed's row of all its gradients
            return torch.linalg.vector_norm(torch.cat([g.flatten(1) for g in grads], 1), dim=1)
        return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])).unsqueeze(0)

    def write_back(self, kept: dict[int, dict[str, Tensor] | None]) -> None:
        """Copy each seed's slice (or its ``kept`` snapshot) back into its own module."""
        if not self.tensors:
            return  # the module trained in place
        for index, model in enumerate(self.models):
            snapshot = kept.get(index)
            load_slice(model, snapshot, 0) if snapshot else load_slice(model, self.tensors, index)

    def evaluate(self, data: SeedSet, splits: Splits, terms: bool = False,
                 seeds: Sequence[int] | None = None) -> list[dict[str, float]]:
        """Each seed's metrics on ``data`` (of the seeds ``seeds`` only, in that order, when given); ``terms``: with
        the objective's named terms (final scores only)."""
        return self.evaluate_examples(data, splits, terms, seeds)[0]

    def evaluate_examples(self, data: SeedSet, splits: Splits, terms: bool = False,
                          seeds: Sequence[int] | None = None) -> tuple[list[dict[str, float]], Tensor | None]:
        """:meth:`evaluate`, and every seed's outcome on each example (``yatbench.train.objective.per_example``)."""
        if terms and seeds is not None:
            raise ValueError("the objective's terms are scored for every seed")
        self.prototype.eval()
        with torch.no_grad():
            output = self.forward(data.x)
            scores = stacked_metrics(output, data.y, splits, seeds)
            examples = per_example(output, data.y, splits)
        if terms and hasattr(splits.objective, "parts"):  # scored at the points alone: no targets
            parts = splits.objective.parts(self.forward, data.x)
            scores = [{**score, **{k: v for k, v in part.items() if k != "loss"}}
                      for score, part in zip(scores, parts, strict=True)]
        self.prototype.train()
        return scores, examples

    def parts(self, data: SeedSet, splits: Splits) -> list[dict[str, float]]:
        """Each seed's objective terms on a set with targets ``data`` (its training or validation points), by
        ``splits.objective.parts`` (``yatbench/train/trainer.py``)."""
        return splits.objective.parts(self.forward, data.x, data.target)
