"""The layer benchmark's result as a terminal table and as a CSV file.

:func:`format_table` lays out a :func:`yatbench.bench.layer.layer_benchmark` frame, one row per
(shape, contender), and flags a row whose median times and median paired ratio disagree (a noisy
machine); :func:`write_csv` writes any benchmark frame.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yatbench.bench.layer import BASELINE

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Group
    from rich.table import Table

__all__ = ["format_table", "throughput_table", "write_csv"]


# What tells a row apart (shape, position, contender) and its time stay; memory columns are added while they fit.
COLUMNS = [("shape", "key", "left"), ("layer", "key", "left"), ("contender", "key", "left"),
           ("path", "key", "left"), ("median ms", "key", "right"), ("time ratio (IQR)", "key", "right"),
           ("saved ratio", "extra", "right"),
           ("saved MB", "extra", "right"), ("saved ratio w/o params", "extra", "right"), ("note", "text", "left")]


def format_table(df: pd.DataFrame, title: str | None = None, width: int = 200) -> Table | Group:
    """A :func:`layer_benchmark` result, one row per (shape, contender), fitted to ``width`` columns
    (:func:`yatbench.core.narrow.fit_table`: at 80 the memory columns give way before a contender's name)."""
    from rich.markup import escape

    from yatbench.core.narrow import Col, fit_table

    first = df.iloc[0] if len(df) else None
    if title is None and first is not None:
        title = f"Layer forward+backward vs Linear+ReLU ({first['device']}, {first['threads']} threads)"
    title = f"{title or 'Layer benchmark'} · shape = (batch, in, out)"

    def num(v: Any, fmt: str) -> str:
        return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)

    base = {(r["batch"], r["in_features"], r["out_features"], r.get("layer")): r["median_ms"]
            for _, r in df.iterrows() if r["contender"] == BASELINE}
    rows, caption = [], None
    for _, r in df.iterrows():
        ratio = num(r["time_ratio"], ".2f")
        if ratio != "—" and r.get("time_ratio_q1") == r.get("time_ratio_q1"):
            ratio += f" ({r['time_ratio_q1']:.2f}–{r['time_ratio_q3']:.2f})"
        of_medians = r["median_ms"] / base.get((r["batch"], r["in_features"], r["out_features"], r.get("layer")),
                                               math.nan)
        if abs(of_medians / r["time_ratio"] - 1) > 0.1:  # the times beside it would say otherwise: noisy
            ratio += " ⚠"
            caption = "⚠: the median times and the median paired ratio disagree by > 10%: a noisy machine; " \
                      "rerun with more --repeats"
        rows.append([
            f"({r['batch']}, {r['in_features']}, {r['out_features']})",
            str(r["layer"]),
            str(r["contender"]),
            _text(r.get("path")),
            num(r["median_ms"], ".3f"),
            ratio,
            num(r["saved_ratio"], ".3f"),
            num(r["saved_bytes"] / 1e6 if r["saved_bytes"] == r["saved_bytes"] else None, ".3f"),
            num(r["saved_ratio_no_params"], ".3f"),
            escape(str(r["note"] or "")),
        ])
    note = any(row[-1] for row in rows)
    columns = [Col(name, role, justify) for name, role, justify in COLUMNS if name != "note" or note]
    return fit_table(columns, [row if note else row[:-1] for row in rows], width, title=title, caption=caption)


def _text(value: Any) -> str:
    """A text cell: empty for a missing value (None, or NaN from a CSV written before the column existed)."""
    return "" if value is None or value != value else str(value)


def throughput_table(frame: pd.DataFrame, width: int) -> Table | Group:
    """The trainer against a hand-written loop, one row per (dataset, model), fitted to ``width`` columns."""
    from yatbench.core.narrow import Col, fit_table

    columns = [Col("dataset"), Col("model"), Col("ratio", justify="right"), Col("min–max", justify="right"),
               Col("trainer samples/s", "extra", "right"), Col("hand loop samples/s", "extra", "right"),
               Col("epochs", "extra", "right"), Col("repeats", "extra", "right")]
    rows = [[str(r["dataset"]), str(r["model"]), f"{r['throughput_ratio']:.3f}",
             f"{r['ratio_min']:.3f}–{r['ratio_max']:.3f}", f"{r['trainer_samples_per_s']:,.0f}",
             f"{r['hand_loop_samples_per_s']:,.0f}", str(r["epochs"]), str(r["repeats"])] for _, r in frame.iterrows()]
    return fit_table(columns, rows, width, title="trainer vs hand-written loop (ratio = hand-loop time / trainer "
                     "time; min–max over the paired repeats)")


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a benchmark result as CSV (creating the folder); returns the path written."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False)
    return out
