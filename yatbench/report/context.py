"""What every figure and claim needs: the runs, the drawn configuration per (dataset, model), the output folder.

Selection helpers never pool: every frame they return holds one configuration (one seedless
key), or they return one frame per configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from yatbench.report.guard import Failure
from yatbench.report.load import RunTable, as_text, config_columns, show_value


@dataclass
class Context:
    """The runs, the configuration figures draw per (dataset, model), the output folder, what was skipped
    (``skipped``: runs a figure or claim left out, and why) and what could not be made (``failures``)."""

    table: RunTable
    variants: dict[tuple[str, str], str]
    out_dir: Path
    skipped: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def runs_of(self, dataset: str, model: str | None = None) -> pd.DataFrame:
        """Finished runs of the drawn configuration of ``model`` (of every model) on ``dataset``."""
        runs = self.table.runs
        if runs.empty:
            return runs
        frame = runs[(runs["dataset"] == dataset) & (runs["status"] == "ok")]
        if model is not None:
            frame = frame[frame["model"] == model]
        keep = [self.variants.get((dataset, m)) == key for m, key in zip(frame["model"], frame["variant"], strict=True)]
        return frame[keep]

    def models(self, dataset: str) -> list[str]:
        frame = self.runs_of(dataset)
        return list(dict.fromkeys(frame["model"])) if not frame.empty else []

    def matching(self, dataset: str | None, model: str, **values: str) -> list[pd.DataFrame]:
        """One frame per configuration of ``model`` (on ``dataset``, or on any dataset when None) whose
        config columns equal ``values`` (compared as text), finished and diverged runs alike."""
        runs = self.table.runs
        if runs.empty:
            return []
        frame = runs[runs["model"] == model]
        if dataset is not None:
            frame = frame[frame["dataset"] == dataset]
        for key, value in values.items():
            if key not in frame.columns:
                return []
            frame = frame[as_text(frame[key]) == value]
        return configurations(frame)

    def partner(self, like: pd.DataFrame, model: str, **values: str) -> list[pd.DataFrame]:
        """Configurations of ``model`` trained in the same setting as ``like`` (same data, preprocessing,
        training and device) whose config columns equal ``values``."""
        if like.empty:
            return []
        setting = like["setting"].iloc[0]
        return [f for f in self.matching(str(like["dataset"].iloc[0]), model, **values)
                if f["setting"].iloc[0] == setting]

    def ablations(self, like: pd.DataFrame, key: str) -> dict[str, pd.DataFrame]:
        """The configurations equal to ``like`` in everything but ``key`` (``like`` included), by its value."""
        runs = self.table.runs
        if like.empty or key not in runs.columns:
            return {}
        frame = runs[(runs["dataset"] == like["dataset"].iloc[0]) & (runs["model"] == like["model"].iloc[0])]
        ref = like.iloc[0]
        for column in config_columns(runs):
            if column != key:
                frame = frame[as_text(frame[column]) == show_value(ref[column])]
        return {show_value(f[key].iloc[0]): f for f in configurations(frame)}


def configurations(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """``frame`` split by seedless key, in the table's order."""
    if frame.empty:
        return []
    return [frame[frame["variant"] == key] for key in dict.fromkeys(frame["variant"])]
