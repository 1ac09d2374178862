"""``yatbench report --compare A B``: two results folders side by side.

Configurations are matched by their recorded seedless key (same dataset, model, sizes, data and
training; seeds aside), so the same configuration trained twice (another machine, another code
version, more seeds) lines up row by row. Each matched row gives both headline means with n and
spread and the difference B − A with its Welch 95% interval; configurations found in one folder
only are listed as such. Written as ``compare.csv`` and an ``index.html`` / ``index.md`` page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from yatbench.core.narrow import seed_range
from yatbench.report.load import RunTable, load_runs
from yatbench.report.output import check_target, staged
from yatbench.report.page import Block, heading, para, write_page
from yatbench.report.stats import fmt_interval, summarize, welch_diff
from yatbench.report.subset import Condition, apply_where, where_text
from yatbench.report.tables import col


@dataclass
class Comparison:
    """The matched and unmatched configurations of two folders (numbers and their formatted view)."""

    a: Path
    b: Path
    numeric: pd.DataFrame
    display: pd.DataFrame
    out_dir: Path
    index_html: Path


def _headline(frame: pd.DataFrame) -> str:
    values = col(frame, "headline").dropna()
    return f"test_{values.iloc[0]}" if len(values) else "test_accuracy"


def _configs(table: RunTable) -> dict[str, pd.DataFrame]:
    runs = table.runs
    return {} if runs.empty else {str(k): runs[runs["variant"] == k] for k in dict.fromkeys(runs["variant"])}


def compare_tables(a: RunTable, b: RunTable) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per seedless key in either table: n, mean ± std on each side, B − A and its 95% interval."""
    left, right = _configs(a), _configs(b)
    numeric, display = [], []
    for key in [*left, *(k for k in right if k not in left)]:
        fa, fb = left.get(key), right.get(key)
        first = (fa if fa is not None else fb).iloc[0]
        metric = _headline(fa if fa is not None else fb)
        ok_a = fa[fa["status"] == "ok"] if fa is not None else pd.DataFrame()
        ok_b = fb[fb["status"] == "ok"] if fb is not None else pd.DataFrame()
        bounded = metric == "test_accuracy"
        sa = summarize(col(ok_a, metric), bounded=bounded) if fa is not None else None
        sb = summarize(col(ok_b, metric), bounded=bounded) if fb is not None else None
        diff = lo = hi = math.nan
        if sa is not None and sb is not None:
            diff, lo, hi = welch_diff(col(ok_b, metric).tolist(), col(ok_a, metric).tolist())
        where = "both" if sa is not None and sb is not None else "A only" if sa is not None else "B only"
        numeric.append({"seedless_key": key, "dataset": first["dataset"], "model": first["model"],
                        "setting": first["variant_label"], "metric": metric, "in": where,
                        "n_a": sa.n if sa else 0, "mean_a": sa.mean if sa else math.nan,
                        "std_a": sa.std if sa else math.nan, "n_b": sb.n if sb else 0,
                        "mean_b": sb.mean if sb else math.nan, "std_b": sb.std if sb else math.nan,
                        "diff_b_minus_a": diff, "diff_ci_lo": lo, "diff_ci_hi": hi})
        display.append({"dataset": first["dataset"], "model": first["model"], "setting": first["variant_label"] or "—",
                        "metric": metric.removeprefix("test_"),
                        "A": f"{sa.fmt(3)} (n={sa.n})" if sa else "—", "B": f"{sb.fmt(3)} (n={sb.n})" if sb else "—",
                        "B − A": "—" if math.isnan(diff) else f"{diff:+.3f}",
                        "95% CI (Welch)": "—" if math.isnan(lo) else fmt_interval(lo, hi, 3),
                        "seeds A": seed_range(fa["seed"].tolist()) if fa is not None else "",
                        "seeds B": seed_range(fb["seed"].tolist()) if fb is not None else "", "seedless key": key})
    return pd.DataFrame(numeric), pd.DataFrame(display)


def compare_folders(a: Path, b: Path, out_dir: Path, where: list[Condition] | None = None) -> Comparison:
    """Load both folders (the ``where`` subset of each), match configurations, write compare.csv and a page."""
    check_target(out_dir)  # before reading the runs: a wrong --out fails at once; written like the report
    table_a, table_b = (apply_where(load_runs(p), where or []) for p in (a, b))
    numeric, display = compare_tables(table_a, table_b)
    both = int((numeric["in"] == "both").sum()) if not numeric.empty else 0
    blocks = [para(f"**A** = `{a}` ({len(table_a.runs)} runs), **B** = `{b}` ({len(table_b.runs)} runs)"
                   + (f", both limited to {where_text(where)}" if where else "") + f". {both} configuration(s) "
                   "in both, matched by their seedless key (everything recorded but the seed). "
                   "B − A is the difference of the mean headline metric with Welch's 95% interval; "
                   "all numbers: [compare.csv](compare.csv)."),
              heading("Configurations side by side")]
    blocks.append(Block("frame", display))
    with staged(out_dir) as work:
        numeric.to_csv(work / "compare.csv", index=False)
        _, html_path = write_page(blocks, work, "yatbench report --compare")
    return Comparison(a, b, numeric, display, out_dir, out_dir / html_path.name)
