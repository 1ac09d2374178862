"""What every figure and claim needs: the runs, the compared variant per (dataset, model), the output folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from yatbench.report.load import RunTable, as_text, setting_key


@dataclass
class Context:
    """What every figure function needs: the runs, the chosen variant per (dataset, model), the folder."""

    table: RunTable
    variants: dict[tuple[str, str], str]
    out_dir: Path
    skipped: list[str] = field(default_factory=list)

    def runs_of(self, dataset: str, model: str | None = None, main: bool = True) -> pd.DataFrame:
        runs = self.table.runs
        if runs.empty:
            return runs
        frame = runs[runs["dataset"] == dataset]
        if model is not None:
            frame = frame[frame["model"] == model]
        if main and not frame.empty:
            keep = [self.variants.get((dataset, m)) == label
                    for m, label in zip(frame["model"], frame["variant_label"], strict=True)]
            frame = frame[keep]
        return frame[frame["status"] == "ok"]

    def models(self, dataset: str) -> list[str]:
        frame = self.runs_of(dataset)
        return list(dict.fromkeys(frame["model"])) if not frame.empty else []

    def prototype_runs(self, dataset: str) -> pd.DataFrame:
        """Finished runs of the Yat *prototype classifier* (one Yat neuron per class, no readout) on
        ``dataset``, restricted to its most common dataset + trainer setting."""
        runs = self.table.runs
        if runs.empty or "model.readout" not in runs.columns:
            return runs.iloc[0:0]
        frame = runs[(runs["dataset"] == dataset) & (runs["model"] == "yat") & (runs["status"] == "ok")
                     & (as_text(runs["model.readout"]) == "none") & (as_text(runs["model.hidden"]) == "[]")]
        return _most_common_setting(frame)

    def same_setting(self, dataset: str, model: str, like: pd.DataFrame) -> pd.DataFrame:
        """Finished runs of ``model`` on ``dataset`` trained under the same dataset + trainer settings as ``like``
        (the model's compared variant when several match)."""
        runs = self.table.runs
        if runs.empty or like.empty:
            return runs.iloc[0:0]
        frame = runs[(runs["dataset"] == dataset) & (runs["model"] == model) & (runs["status"] == "ok")]
        if frame.empty:
            return frame
        frame = frame[setting_key(frame) == setting_key(like).iloc[0]]
        main = frame[frame["variant_label"] == self.variants.get((dataset, model))]
        return main if not main.empty else _most_common_setting(frame)


def _most_common_setting(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    keys = setting_key(frame)
    return frame[keys == keys.value_counts().index[0]]
