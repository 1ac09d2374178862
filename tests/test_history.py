"""The trainer's history as columns (yatbench/core/history.py): each seed's rows are exactly the rows made one
dict at a time, with the same Python types, and history.csv is the bytes ``csv.DictWriter`` writes from them."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yatbench.core.history import History, HistoryBlocks, column
from yatbench.rundir.results import write_history

_FLOATS = st.one_of(st.sampled_from([0.0, -0.0, 1.0, 0.25, float("nan"), float("inf")]), st.floats())
_CELLS = {"floats": _FLOATS, "ints": st.integers(-3, 3), "big ints": st.integers(),
          "numbers": st.one_of(_FLOATS, st.integers(-3, 3)),
          "anything": st.one_of(_FLOATS, st.integers(), st.booleans(), st.none(), st.text(max_size=3))}


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same type, NaN equal to NaN and 0.0 told from -0.0 (repr does both)."""
    return type(a) is type(b) and (repr(a) == repr(b) if isinstance(a, float) else a == b)


def _dict_writer_bytes(rows: list[dict[str, Any]]) -> bytes:
    expected = io.StringIO(newline="")
    writer = csv.DictWriter(expected, fieldnames=list(dict.fromkeys(k for row in rows for k in row)))
    writer.writeheader()
    writer.writerows(rows)
    return expected.getvalue().encode()


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 4), width=st.integers(1, 4), data=st.data())
def test_blocks_cut_into_the_rows_made_one_by_one(tmp_path_factory, size: int, width: int, data) -> None:
    """Blocks of due seeds (any subset, any order) with columns of any kind, as lists or as int64/float64 arrays
    (the trainer's epochs and losses), the kind changing between evaluations too."""
    blocks = HistoryBlocks(size)
    names = [f"c{k}" for k in range(width)]
    expected: list[list[dict[str, Any]]] = [[] for _ in range(size)]
    beside: list[np.ndarray] = []
    for _ in range(data.draw(st.integers(0, 5))):
        due = data.draw(st.permutations(range(size)).flatmap(lambda p: st.just(p[:data.draw(st.integers(1, size))])))
        columns: dict[str, Any] = {}
        for name in names:
            kind = data.draw(st.sampled_from(sorted(_CELLS)))
            values = data.draw(st.lists(_CELLS[kind], min_size=len(due), max_size=len(due)))
            if kind == "ints" and data.draw(st.booleans()):
                values = np.array(values, dtype=np.int64)
            elif kind == "floats" and data.draw(st.booleans()):
                values = np.array(values, dtype=np.float64)
            columns[name] = values
        blocks.add(due, columns)
        beside.append(np.array(due) * 10 + len(beside))
        for j, i in enumerate(due):
            expected[i].append({name: (v.tolist() if isinstance(v, np.ndarray) else v)[j]
                                for name, v in columns.items()})
    histories = blocks.histories()
    assert len(histories) == size
    for i, (history, rows) in enumerate(zip(histories, expected, strict=True)):
        assert isinstance(history, History) and len(history) == len(rows)
        for got, want in ((list(history), rows), ([history[k] for k in range(len(rows))], rows),
                          (history[::-1], rows[::-1])):
            assert all(a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
                       for a, b in zip(got, want, strict=True))
        for name in names if rows else ():
            assert all(map(_same, column(history, name), column(rows, name)))
        if rows:
            path = tmp_path_factory.mktemp("history") / "history.csv"
            write_history(path, history)
            assert path.read_bytes() == _dict_writer_bytes(rows)
        if beside:  # arrays kept beside the blocks come back to the same seeds, in evaluation order
            assert [int(v) // 10 for v in blocks.per_seed(beside)[i]] == [i] * len(rows)


def test_int_columns_never_share_a_float_columns_text(tmp_path) -> None:
    """0 and 0.0 have the same eight bytes in int64 and float64: only float columns are compared by their bits."""
    history = History({"val_loss": np.zeros(2), "epoch": np.zeros(2, dtype=np.int64), "test_loss": np.zeros(2)})
    write_history(tmp_path / "history.csv", history)
    assert (tmp_path / "history.csv").read_bytes() == b"val_loss,epoch,test_loss\r\n0.0,0,0.0\r\n0.0,0,0.0\r\n"


def test_history_reads_as_its_rows() -> None:
    history = History({"epoch": np.array([10, 20]), "train_loss": np.array([0.5, 0.25]),
                       "note": np.array(["a", None], dtype=object)})
    rows = [{"epoch": 10, "train_loss": 0.5, "note": "a"}, {"epoch": 20, "train_loss": 0.25, "note": None}]
    assert len(history) == 2 and history[-1]["epoch"] == 20 and type(history[0]["epoch"]) is int
    assert history[0] == rows[0] and history[1:] == [history[1]] and history != rows[:1]
    assert history == rows and list(history) == rows and repr(history) == f"History({rows!r})"
    assert History({}) == [] and not History({}) and History({"a": np.array([1])}) == ({"a": 1},)
    with pytest.raises(IndexError):
        history[2]
    with pytest.raises(ValueError, match="different lengths"):
        History({"a": np.array([1]), "b": np.array([1.0, 2.0])})
    with pytest.raises(KeyError):
        column(history, "test_accuracy")


def test_blocks_keep_one_set_of_names() -> None:
    """Every evaluation records the same columns; anything else is a trainer bug, said as such."""
    blocks = HistoryBlocks(2)
    blocks.add([0], {"epoch": [1], "loss": [0.5]})
    with pytest.raises(ValueError, match="changed between evaluations"):
        blocks.add([1], {"epoch": [1]})
    with pytest.raises(ValueError, match="beside 1 history blocks"):
        blocks.per_seed([])
    assert HistoryBlocks(3).histories() == [History({})] * 3
