"""The Python API: a results folder as pandas DataFrames, for notebooks and researchers' own tools.

``yatbench.load_runs`` and ``yatbench.load_histories`` (re-exported lazily by the package, so that
``import yatbench`` stays cheap) read run folders the way ``yatbench report`` does
(:mod:`yatbench.report.load`): the same rows as runs.csv, and the same ``--where`` conditions.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from yatbench.core.errors import UserError
from yatbench.report.load import RunTable
from yatbench.report.load import load_runs as read_folder
from yatbench.report.subset import apply_where, parse_where
from yatbench.rundir.export import read_history_rows

ID_COLUMNS = ("run_id", "dataset", "model", "seed", "variant", "variant_label", "tags")


def _table(results_dir: str | Path, where: str | Iterable[str] | None) -> RunTable:
    folder = Path(results_dir)
    if not folder.is_dir():
        raise UserError(f"results directory {folder} does not exist")
    conditions = parse_where([where] if isinstance(where, str) else list(where or []))
    return apply_where(read_folder(folder), conditions)


def load_runs(results_dir: str | Path = "results", where: str | Iterable[str] | None = None) -> pd.DataFrame:
    """One row per complete run (the columns of runs.csv: identity, metrics, config keys, tags,
    provenance); ``where`` takes ``--where`` conditions, e.g. ``["model=yat,relu", "params<1000"]``."""
    return _table(results_dir, where).runs


def load_histories(results_dir: str | Path = "results", where: str | Iterable[str] | None = None,
                   runs: Iterable[str] | None = None) -> pd.DataFrame:
    """Every recorded evaluation of the runs (history.csv), one row per run and evaluation.

    Columns: ``run_id``, ``dataset``, ``model``, ``seed``, ``variant`` (the configuration),
    ``variant_label``, ``tags``, then ``epoch``, ``step``, ``train_loss`` and the test metrics.
    ``where`` as in :func:`load_runs`; ``runs`` keeps only these run ids.
    """
    table = _table(results_dir, where)
    wanted = set(runs) if runs is not None else None
    frames = []
    for _, row in table.runs.iterrows():
        run_id = str(row["run_id"])
        path = table.run_dir(run_id) / "history.csv"
        if (wanted is not None and run_id not in wanted) or not path.is_file():
            continue
        try:
            history = pd.DataFrame(read_history_rows(path))
        except ValueError as exc:  # over the size limit or unreadable: left out, and said
            warnings.warn(f"{run_id}: history left out: {exc}", stacklevel=2)
            continue
        for position, column in enumerate(ID_COLUMNS):
            history.insert(position, column, row[column])
        frames.append(history)
    if not frames:
        return pd.DataFrame(columns=[*ID_COLUMNS, "epoch", "step"])
    return pd.concat(frames, ignore_index=True)
