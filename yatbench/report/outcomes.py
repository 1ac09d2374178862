"""Per-example test outcomes (a run's ``test_outcomes.npz``), for intervals that include the test set's
sampling error.

A run that records them holds, at every evaluation (``epochs``), one row per test example: ``correct``
(1 = right) for classification, ``sq_error`` for regression. The report reads the row of the evaluation
whose metrics it uses: the best validation evaluation the run was restored to (``best_epoch``), or, for
the half-budget verdicts (:mod:`yatbench.report.budget`), the evaluation chosen there. A vector is used
only when its mean reproduces the run's test metric at that evaluation (so it is that metric's outcomes);
PDE runs record none (their test set is a fixed grid, not a sample).
"""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from yatbench.report.load import RunTable

ARTIFACT = "test_outcomes"
KEYS = {"accuracy": "correct", "mse": "sq_error"}  # headline metric → the array of its per-example outcomes
# A run's metric is a float32 mean of the same outcomes; one example of 10 000 moves an accuracy by 1e-4.
TOLERANCE = {"rel_tol": 1e-5, "abs_tol": 1e-6}


@dataclass
class OutcomeReader:
    """Reads the per-example test outcomes of ``table``'s runs, at ``at_epoch[run_id]`` when given (None: no
    evaluation, so no outcomes), else at the run's recorded best epoch, else at its last evaluation.

    ``metrics`` is the runs table whose test metrics the vectors must reproduce (by default ``table.runs``;
    the half-budget tables pass their own).
    """

    table: RunTable
    at_epoch: dict[str, int | None] | None = None
    metrics: pd.DataFrame | None = None
    _cache: dict[str, dict[str, np.ndarray] | None] = field(default_factory=dict, repr=False)

    def metric_name(self, run_id: str) -> str:
        """``accuracy``, ``mse``, … : the run's headline metric (its test column is ``test_<name>``)."""
        return self.table.facts(run_id).metric

    def test_metric(self, run_id: str) -> float:
        """The run's test metric in the runs table this reader checks against (NaN when absent)."""
        runs = self.metrics if self.metrics is not None else self.table.runs
        column = f"test_{self.metric_name(run_id)}"
        if column not in runs.columns:
            return math.nan
        values = runs.loc[runs["run_id"] == run_id, column]
        try:
            return float(values.iloc[0]) if len(values) else math.nan
        except (TypeError, ValueError):
            return math.nan

    def _arrays(self, run_id: str) -> dict[str, np.ndarray] | None:
        if run_id not in self._cache:
            path = self.table.artifact(run_id, ARTIFACT) if run_id in self.table.records else None
            arrays = None
            if path is not None:
                try:
                    with np.load(path, allow_pickle=False) as data:
                        arrays = {name: np.asarray(data[name]) for name in data.files}
                except (OSError, ValueError, zipfile.BadZipFile, EOFError):
                    arrays = None  # unreadable: the claim falls back to the interval over seeds, saying so
            self._cache[run_id] = arrays
        return self._cache[run_id]

    def vector(self, run_id: str) -> np.ndarray | None:
        """The run's per-example outcomes at the evaluation this reader reads, or None when not recorded."""
        arrays = self._arrays(run_id)
        key = KEYS.get(self.metric_name(run_id))
        if arrays is None or key is None or key not in arrays or "epochs" not in arrays:
            return None
        epochs, table = arrays["epochs"].reshape(-1), arrays[key]
        if table.ndim != 2 or table.shape[0] != len(epochs) or not len(epochs):
            return None
        if self.at_epoch is not None:
            epoch = self.at_epoch.get(run_id)
        else:
            best = getattr(self.table.records[run_id], "best_epoch", None)
            epoch = int(best) if best is not None else int(epochs[-1])
        if epoch is None:
            return None
        rows = np.flatnonzero(epochs == epoch)
        return table[rows[-1]].astype(np.float64) if len(rows) else None

    def matches(self, run_id: str, vector: np.ndarray) -> bool:
        """Whether ``vector``'s mean is the run's test metric (so it holds that metric's outcomes)."""
        return vector.size > 0 and math.isclose(float(vector.mean()), self.test_metric(run_id), **TOLERANCE)
