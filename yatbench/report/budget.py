"""The runs as they stood at half their budget, so that every claim can be decided again there.

For each run, the evaluation it is read at is the best validation evaluation (lowest ``val_loss``) among
those at or before half the epochs it ran — the selection the run itself makes at the end, never looking at
the test set. A run that recorded no validation metric (made before the validation split) is read at its
last evaluation at or before half its epochs, as it was scored at its last one. Its metrics are those of
its history.csv at that evaluation; what history.csv does not hold was measured once, at the end of
training (retention, prototype correlations, gradient norms), and cannot be read at half the budget.

The claims are decided on two such tables (:func:`half_budget`): ``with_files`` keeps the end-of-training
values of those metrics and the run folders' files (weights, full histories); ``without_files`` has neither.
A claim decided alike on both rests only on what was evaluated along the way, so its half-budget verdict is
meaningful; one decided differently depends on something measured only at the end, and its budget
robustness is n/a (:mod:`yatbench.report.claims`).
"""

from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from yatbench.report.load import HISTORY_FILE, RunTable
from yatbench.rundir.results import history_too_large

MONITOR = "val_loss"  # the quantity early stopping monitors (conf/trainer/default.yaml)


class WithoutFiles(RunTable):
    """A run table whose run folders hold no files: weights, histories and artifacts cannot be read."""

    def run_dir(self, run_id: str) -> Path:
        return Path(os.devnull) / run_id  # a path under a device file: nothing can exist there

    def artifact(self, run_id: str, name: str) -> Path | None:
        return None


@dataclass
class HalfBudget:
    """The runs at half their budget: two tables (see the module), the evaluation each run is read at
    (None: none at or before half its epochs) and how it was chosen."""

    with_files: RunTable
    without_files: RunTable
    epochs: dict[str, int | None] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)


def read_history(table: RunTable, run_id: str) -> pd.DataFrame | None:
    """A run's history.csv with numeric columns, or None when absent, unreadable or over the size limit."""
    path = table.run_dir(run_id) / HISTORY_FILE
    if history_too_large(path):
        return None
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError):
        return None
    if "epoch" not in frame.columns:
        return None
    frame = frame.apply(pd.to_numeric, errors="coerce")
    return frame[frame["epoch"].notna()]


def half_evaluation(history: pd.DataFrame, epochs_run: int) -> tuple[pd.Series | None, str]:
    """The history row a run is read at for half its budget, and how it was chosen."""
    rows = history[history["epoch"] <= epochs_run / 2]
    if rows.empty:
        return None, f"no evaluation at or before epoch {epochs_run / 2:g}"
    if MONITOR in rows.columns and rows[MONITOR].notna().any():
        return rows.loc[rows[MONITOR].idxmin()], "best validation evaluation"
    return rows.iloc[-1], "last evaluation (no validation record: a run made before the validation split)"


def _derived(name: str, history: pd.DataFrame, row: pd.Series) -> Any:
    """The metrics the trainer derives from test accuracy along the way (XOR): solved and steps to solve."""
    if "test_accuracy" not in history.columns:
        return None
    if name == "solved":
        return bool(row["test_accuracy"] >= 1.0)
    if name == "steps_to_solve":
        done = history[(history["epoch"] <= row["epoch"]) & (history["test_accuracy"] >= 1.0)]
        column = "step" if "step" in history.columns else "epoch"
        return int(done[column].iloc[0]) if len(done) else None
    return None


DERIVED = ("solved", "steps_to_solve")


def half_budget(table: RunTable) -> HalfBudget:
    """The two half-budget tables of ``table`` (see the module)."""
    kept: dict[str, dict[int, Any]] = {}  # column → row index → value, set in one go below
    bare: dict[str, dict[int, Any]] = {}
    epochs: dict[str, int | None] = {}
    how: dict[str, str] = {}
    for index, run_id in zip(table.runs.index, table.runs["run_id"], strict=True):
        record = table.records[run_id]
        history = read_history(table, run_id)
        row, how[run_id] = (None, "no readable history.csv") if history is None else half_evaluation(
            history, record.epochs_run)
        epochs[run_id] = int(row["epoch"]) if row is not None else None
        if "best_epoch" in table.runs.columns:
            kept.setdefault("best_epoch", {})[index] = bare.setdefault("best_epoch", {})[index] = epochs[run_id]
        for name, final in record.metrics.items():
            if name not in table.runs.columns or isinstance(final, str):
                continue  # text ("headline": the metric's name) is not a measurement
            if row is not None and name in history.columns:
                value = row[name]
            elif row is not None and name in DERIVED and record.data.track_solved:
                value = _derived(name, history, row)
            else:  # measured at the end only: kept in one table, unknown in the other
                bare.setdefault(name, {})[index] = None if isinstance(final, bool) else math.nan
                continue
            kept.setdefault(name, {})[index] = bare.setdefault(name, {})[index] = value
    return HalfBudget(replace(table, runs=_with(table.runs, kept)),
                      WithoutFiles(table.results_dir, _with(table.runs, bare), table.broken, table.configs,
                                   table.records), epochs, how)


def _with(runs: pd.DataFrame, values: dict[str, dict[int, Any]]) -> pd.DataFrame:
    """``runs`` with the given cells replaced (other cells of those columns unchanged)."""
    out = runs.copy()
    for column, cells in values.items():
        new = pd.Series(cells, dtype=object)
        merged = out[column].astype(object).copy()
        merged.loc[new.index] = new
        numeric = pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_bool_dtype(out[column])
        # A number column stays numbers (None → NaN); a flag column (solved) stays flags, None where unknown.
        out[column] = pd.to_numeric(merged) if numeric and merged.map(_numeric).all() else merged
    return out


def _numeric(value: Any) -> bool:
    return value is None or (isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)))
