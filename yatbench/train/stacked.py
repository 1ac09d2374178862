"""The data of S seeds side by side: one set as x (S, N, d) and y (S, N, ...), shared when equal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from yatbench.data.base import Splits
from yatbench.train.objective import loss_target


@dataclass
class SeedSet:
    """One set for every seed; ``shared``: all seeds hold the same data (x, y are expanded views of one copy)."""

    x: Tensor
    y: Tensor
    target: Tensor  # y in the loss's form (float column for BCE)
    shared: bool

    def __post_init__(self) -> None:
        # Shared data: the one copy the seeds' views expand, taken once rather than at every batch.
        self._one = (self.x[0], self.target[0]) if self.shared else None

    def batch(self, index: Tensor | None) -> tuple[Tensor, Tensor]:
        """The mini-batch ``index`` (S, B) of every seed, or the whole set when ``index`` is None."""
        if index is None:
            return self.x, self.target
        if self._one is not None:  # index_select: the same rows as x[index], about twice as fast on a CPU
            x, target = self._one
            flat = index.reshape(-1)
            return (x.index_select(0, flat).reshape(*index.shape, *x.shape[1:]),
                    target.index_select(0, flat).reshape(*index.shape, *target.shape[1:]))
        rows = torch.arange(index.shape[0], device=index.device).unsqueeze(-1)
        return self.x[rows, index], self.target[rows, index]

    def same_as(self, other: SeedSet) -> bool:
        """Whether ``other`` holds the very same tensors (the same memory, shape and layout): the same scores."""
        return all(a.data_ptr() == b.data_ptr() and a.shape == b.shape and a.stride() == b.stride()
                   and a.dtype == b.dtype and a.device == b.device
                   for a, b in ((self.x, other.x), (self.y, other.y)))

    def select(self, seeds: Sequence[int]) -> SeedSet:
        """The set of the seeds ``seeds`` only (seed indices, in that order): a compacted stack's data."""
        if self.shared:
            n = len(seeds)
            return SeedSet(self.x[0].expand(n, *self.x.shape[1:]), self.y[0].expand(n, *self.y.shape[1:]),
                           self.target[0].expand(n, *self.target.shape[1:]), True)
        rows = torch.as_tensor(list(seeds), dtype=torch.long, device=self.x.device)
        return SeedSet(self.x[rows], self.y[rows], self.target[rows], False)


def seed_set(all_splits: Sequence[Splits], name: str, device: torch.device) -> SeedSet:
    """Set ``name`` (``train``, ``val``, ``test`` or an eval set) of every seed, stacked on ``device``."""
    pairs = [_pair(s, name) for s in all_splits]
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    size, first = len(xs), all_splits[0]
    if all((x is xs[0] or torch.equal(x, xs[0])) and (y is ys[0] or torch.equal(y, ys[0]))
           for x, y in zip(xs, ys, strict=True)):  # the same tensors (one dataset for all) need no comparing
        x0, y0 = xs[0].to(device), ys[0].to(device)
        t0 = loss_target(y0, first)
        return SeedSet(x0.expand(size, *x0.shape), y0.expand(size, *y0.shape), t0.expand(size, *t0.shape), True)
    x, y = torch.stack(xs).to(device), torch.stack(ys).to(device)
    return SeedSet(x, y, loss_target(y, first), False)


def _pair(splits: Splits, name: str) -> tuple[Tensor, Tensor]:
    if name == "train":
        return splits.x_train, splits.y_train
    if name == "test":
        return splits.x_test, splits.y_test
    if name == "val":
        assert splits.x_val is not None and splits.y_val is not None  # Splits.__post_init__ fills them
        return splits.x_val, splits.y_val
    return splits.eval_sets[name]


def same_shapes(all_splits: Sequence[Splits]) -> bool:
    """Whether every seed's data has the same task, sizes, eval sets and tensor shapes."""
    first = all_splits[0]

    def layout(s: Splits) -> tuple[Any, ...]:
        sets = [(s.x_train, s.y_train), (s.x_val, s.y_val), (s.x_test, s.y_test), *s.eval_sets.values()]
        return (s.task, s.in_features, s.out_features, tuple(s.eval_sets),
                tuple((tuple(x.shape), tuple(y.shape), x.dtype, y.dtype) for x, y in sets))

    return all(layout(s) == layout(first) for s in all_splits)
