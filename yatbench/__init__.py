"""yatbench: put Yat-product (ⵟ) neurons beside dot-product networks on small, telling problems.

Data flows one way: Hydra config → dataset + model → trainer → run folder → report.
Importing this package is cheap (no torch, no pandas): the CLI imports heavy modules only when a
command needs them, and :func:`load_runs` / :func:`load_histories` (the Python API, :mod:`yatbench.api`)
import pandas when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: importing yatbench loads nothing else
    from collections.abc import Iterable
    from pathlib import Path

    import pandas as pd

__version__ = "0.1.0"
__all__ = ["__version__", "load_histories", "load_runs"]


def load_runs(results_dir: str | Path = "results", where: str | Iterable[str] | None = None) -> pd.DataFrame:
    """One row per complete run under ``results_dir``, as in runs.csv (see :func:`yatbench.api.load_runs`)."""
    from yatbench.api import load_runs as load  # lazy: pandas only when called

    return load(results_dir, where)


def load_histories(results_dir: str | Path = "results", where: str | Iterable[str] | None = None,
                   runs: Iterable[str] | None = None) -> pd.DataFrame:
    """Every run's recorded history, one row per evaluation (see :func:`yatbench.api.load_histories`)."""
    from yatbench.api import load_histories as load

    return load(results_dir, where, runs)
