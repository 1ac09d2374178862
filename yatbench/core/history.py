"""A run's history (history.csv's rows: one per evaluation), held as columns.

The trainer evaluates a stack of up to thousands of seeds together, so what it has at each evaluation is
one *block*: the seeds that were due and, per name, one value per seed. :class:`HistoryBlocks` keeps those
blocks as arrays and cuts them into each seed's columns at the end (one stable sort of all rows by seed),
instead of making a dict per seed per evaluation: at a thousand seeds and hundreds of evaluations the dicts
cost more than the training steps, and reading them back for history.csv, scattered over memory, twice
that (``rundir/results.py`` writes a :class:`History` column by column).

A :class:`History` is still a sequence of row dicts to everyone who reads it as one (the measures, the
exports, the tests); a row is made when asked for. Each column is a 1-D numpy array whose dtype says what
its cells are: int64 → ``int``, float64 → ``float`` (exactly the values recorded: float32 numbers widen to
float64 without rounding), object → the Python values as recorded (anything else, e.g. bools or None).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

import numpy as np


class History(Sequence[dict[str, Any]]):
    """One run's history rows as columns: ``columns`` maps each name, in order, to one value per row."""

    __slots__ = ("_rows", "columns")

    def __init__(self, columns: Mapping[str, np.ndarray]) -> None:
        self.columns = dict(columns)
        lengths = {len(column) for column in self.columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"history columns of different lengths: {sorted(lengths)}")
        self._rows = lengths.pop() if lengths else 0

    def __len__(self) -> int:
        return self._rows

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._rows))]
        if not -self._rows <= index < self._rows:
            raise IndexError("history row index out of range")
        return {name: column[index].item() if column.dtype != object else column[index]
                for name, column in self.columns.items()}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names = tuple(self.columns)
        for values in zip(*(column.tolist() for column in self.columns.values()), strict=True):
            yield dict(zip(names, values, strict=True))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, History | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable columns, compared as rows

    def __repr__(self) -> str:
        return f"History({list(self)!r})"


def column(rows: Sequence[dict[str, Any]], name: str) -> list[Any]:
    """One name's values over ``rows``, in order: a :class:`History`'s column as it is, any other rows' one by one
    (a row without it raises ``KeyError``, as ``row[name]`` does)."""
    if isinstance(rows, History):
        if name not in rows.columns:
            raise KeyError(name)
        return rows.columns[name].tolist()
    return [row[name] for row in rows]


class HistoryBlocks:
    """The evaluations of a stack of ``size`` seeds, one block per evaluation, cut into each seed's
    :class:`History` by :meth:`histories` (and any per-row arrays by :meth:`per_seed`)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.names: tuple[str, ...] | None = None
        self._due: list[np.ndarray] = []
        self._blocks: list[list[np.ndarray]] = []  # per block, per name: one value per due seed

    def add(self, due: Sequence[int], columns: Mapping[str, Sequence[Any] | np.ndarray]) -> None:
        """One evaluation: the seed indices ``due`` and, per name (the same names every time), their values."""
        names = tuple(columns)
        if self.names is None:
            self.names = names
        elif names != self.names:
            raise ValueError(f"history columns changed between evaluations: {self.names} then {names}")
        self._due.append(np.asarray(due, dtype=np.int64))
        self._blocks.append([_column(values) for values in columns.values()])

    def per_seed(self, blocks: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Arrays recorded beside the blocks (one per block, a row per due seed) cut into each seed's rows."""
        if len(blocks) != len(self._due) or not blocks:
            raise ValueError(f"{len(blocks)} arrays beside {len(self._due)} history blocks: one each is needed")
        order, bounds = self._order()
        return np.split(np.concatenate(blocks)[order], bounds)

    def histories(self) -> list[History]:
        """Each seed's history, in evaluation order."""
        if self.names is None:
            return [History({}) for _ in range(self.size)]
        order, bounds = self._order()
        pieces: dict[str, list[np.ndarray]] = {}
        for k, name in enumerate(self.names):
            parts = [block[k] for block in self._blocks]
            if len({part.dtype for part in parts}) > 1:  # say ints at one evaluation, floats at another
                parts = [part.astype(object) for part in parts]
            pieces[name] = np.split(np.concatenate(parts)[order], bounds)
        return [History({name: pieces[name][i] for name in self.names}) for i in range(self.size)]

    def _order(self) -> tuple[np.ndarray, np.ndarray]:
        """The permutation that sorts all recorded rows by seed (keeping evaluation order), and where each
        seed's rows end."""
        seeds = np.concatenate(self._due) if self._due else np.empty(0, dtype=np.int64)
        order = np.argsort(seeds, kind="stable")
        return order, np.cumsum(np.bincount(seeds, minlength=self.size))[:-1]


def _column(values: Sequence[Any] | np.ndarray) -> np.ndarray:
    """One block's values of one name as an array that gives back exactly those values (see the module)."""
    if isinstance(values, np.ndarray) and values.dtype in (np.int64, np.float64):
        return values
    kinds = set(map(type, values))
    if kinds == {float}:
        return np.array(values, dtype=np.float64)
    if kinds == {int}:
        try:
            return np.array(values, dtype=np.int64)
        except OverflowError:
            pass
    column = np.empty(len(values), dtype=object)
    column[:] = list(values)
    return column
