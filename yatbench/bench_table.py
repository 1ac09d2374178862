"""The layer benchmark's result as a terminal table and as a CSV file.

:func:`format_table` lays out a :func:`yatbench.bench.layer_benchmark` frame, one row per
(shape, contender), and flags a row whose median times and median paired ratio disagree (a noisy
machine); :func:`write_csv` writes any benchmark frame.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yatbench.bench import BASELINE

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

__all__ = ["format_table", "write_csv"]


def format_table(df: pd.DataFrame, title: str | None = None) -> Table:
    """A rich Table of a :func:`layer_benchmark` result, one row per (shape, contender)."""
    from rich.table import Table

    first = df.iloc[0] if len(df) else None
    if title is None and first is not None:
        title = f"Layer forward+backward vs Linear+ReLU ({first['device']}, {first['threads']} threads)"
    table = Table(title=title)
    for col, justify in [
        ("shape (batch, in, out)", "left"),
        ("layer", "left"),
        ("contender", "left"),
        ("median ms", "right"),
        ("time ratio (IQR)", "right"),
        ("saved MB", "right"),
        ("saved ratio", "right"),
        ("saved ratio w/o params", "right"),
        ("note", "left"),
    ]:
        table.add_column(col, justify=justify)  # type: ignore[arg-type]

    def num(v: Any, fmt: str) -> str:
        return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)

    base = {(r["batch"], r["in_features"], r["out_features"], r.get("layer")): r["median_ms"]
            for _, r in df.iterrows() if r["contender"] == BASELINE}
    for _, r in df.iterrows():
        ratio = num(r["time_ratio"], ".2f")
        if ratio != "—" and r.get("time_ratio_q1") == r.get("time_ratio_q1"):
            ratio += f" ({r['time_ratio_q1']:.2f}–{r['time_ratio_q3']:.2f})"
        of_medians = r["median_ms"] / base.get((r["batch"], r["in_features"], r["out_features"], r.get("layer")),
                                               math.nan)
        if abs(of_medians / r["time_ratio"] - 1) > 0.1:  # the times beside it would say otherwise: noisy
            ratio += " ⚠"
            table.caption = "⚠: the median times and the median paired ratio disagree by > 10%: a noisy machine; " \
                            "rerun with more --repeats"
        table.add_row(
            f"({r['batch']}, {r['in_features']}, {r['out_features']})",
            str(r["layer"]),
            str(r["contender"]),
            num(r["median_ms"], ".3f"),
            ratio,
            num(r["saved_bytes"] / 1e6 if r["saved_bytes"] == r["saved_bytes"] else None, ".3f"),
            num(r["saved_ratio"], ".3f"),
            num(r["saved_ratio_no_params"], ".3f"),
            str(r["note"] or ""),
        )
    return table


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a benchmark result as CSV (creating the folder); returns the path written."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False)
    return out
