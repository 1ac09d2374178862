"""Summary tables: one numeric frame per table (written as CSV) and its formatted view (Markdown/HTML).

Rows are groups of runs that differ only by seed: (dataset, model, variant). Diverged runs
are counted (``diverged``) but left out of means; in XOR success rates they count as not solved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from yatbench.core.narrow import seed_range
from yatbench.report.guard import Failure, attempt
from yatbench.report.load import RunTable
from yatbench.report.stats import NONNEGATIVE, fmt_interval, summarize, wilson

# w → −w is not a column: it is the −x computation by construction (ⵟ(−w, x) = ⵟ(w, −x), (−W)x = W(−x)).
INVERSIONS = [("test", "clean"), ("pixel_inverted", "1 − x"), ("sign_inverted", "−x")]
BOUNDED = ("test_accuracy",)


@dataclass
class Table:
    """A named table: numbers for the CSV, formatted strings for the page, and a caption."""

    name: str
    title: str
    numeric: pd.DataFrame
    display: pd.DataFrame
    caption: str = ""


def col(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column, or NaNs when no run recorded it."""
    return frame[name] if name in frame.columns else pd.Series(math.nan, index=frame.index)


def groups(runs: pd.DataFrame, dataset: str | None = None) -> list[tuple[tuple[str, str, str], pd.DataFrame]]:
    """(dataset, model, variant label) groups, one per configuration (seedless key), in the table's row order."""
    frame = runs if dataset is None else runs[runs["dataset"] == dataset]
    out = []
    for key in dict.fromkeys(frame["variant"]):
        group = frame[frame["variant"] == key]
        first = group.iloc[0]
        out.append(((str(first["dataset"]), str(first["model"]), str(first["variant_label"])), group))
    return out


def params_text(frame: pd.DataFrame) -> str:
    values = sorted(set(int(p) for p in frame["params"].dropna()))
    if not values:
        return "—"
    return f"{values[0]:,}" if len(values) == 1 else f"{values[0]:,}–{values[-1]:,}"


def summary_table(table: RunTable) -> Table:
    """Every (dataset, model, variant): n, params, headline mean ± std and 95% CI, train time."""
    numeric_rows: list[dict[str, Any]] = []
    display_rows: list[dict[str, Any]] = []
    for (dataset, model, label), frame in groups(table.runs):
        ok = frame[frame["status"] == "ok"]
        headline = _headline(frame)
        metric = f"test_{headline}"
        main = summarize(col(ok, metric), bounded=metric in BOUNDED)
        second = summarize(col(ok, "test_r2")) if headline == "mse" else None
        time_s = summarize(col(frame, "train_time_s"))
        numeric_rows.append({
            "dataset": dataset, "model": model, "setting": label, "n": len(frame), "n_ok": len(ok),
            "diverged": int((frame["status"] != "ok").sum()), "params": frame["params"].median(),
            "metric": metric, "mean": main.mean, "std": main.std, "ci_lo": main.lo, "ci_hi": main.hi,
            "r2_mean": second.mean if second else math.nan, "r2_std": second.std if second else math.nan,
            "train_time_s_mean": time_s.mean, "seeds": seed_range(frame["seed"].tolist()),
            "source": ",".join(sorted(set(str(s) for s in frame.get("source", pd.Series()).dropna()))),
        })
        display_rows.append({
            "dataset": dataset, "model": model, "setting": label or "—",
            "n": _n_text(frame, ok), "params": params_text(frame),
            "metric": _metric_name(metric), "mean ± std": main.fmt(3),
            "95% CI": main.fmt_ci(3),
            "R² (mean ± std)": second.fmt(3) if second else "",
            "train time (s)": f"{time_s.mean:.2f}" if time_s.n else "—",
            "seeds": seed_range(frame["seed"].tolist()),
        })
    return Table("summary", "All datasets: headline metric by model",
                 pd.DataFrame(numeric_rows), pd.DataFrame(display_rows),
                 "Headline metric on the test set, mean ± sample std over seeds, with the 95% interval of the "
                 "mean (Student t; for accuracy truncated to [0, 1]). "
                 "Test MSE is in squared units of z; lower is better. "
                 "n counts finished runs (diverged runs are listed but not averaged).")


def xor_table(table: RunTable) -> Table | None:
    """XOR: success rate (all test points right) with its Wilson 95% interval, median steps to solve."""
    runs = table.runs[table.runs["dataset"] == "xor"] if not table.empty else table.runs
    if runs.empty:
        return None
    numeric_rows, display_rows = [], []
    for (_, model, label), frame in groups(runs):
        # a missing value (a diverged run) is not solved; to_numeric first: fillna(False) on floats is deprecated
        solved = int(pd.to_numeric(col(frame, "solved"), errors="coerce").fillna(0).astype(bool).sum())
        n = len(frame)
        lo, hi = wilson(solved, n)
        steps = col(frame, "steps_to_solve").dropna()
        median_steps = float(steps.median()) if len(steps) else math.nan
        acc = summarize(col(frame[frame["status"] == "ok"], "test_accuracy"))
        numeric_rows.append({"model": model, "setting": label, "params": frame["params"].median(), "n": n,
                             "solved": solved, "success_rate": solved / n, "wilson_lo": lo, "wilson_hi": hi,
                             "median_steps_to_solve": median_steps, "accuracy_mean": acc.mean,
                             "accuracy_std": acc.std, "seeds": seed_range(frame["seed"].tolist())})
        display_rows.append({"model": model, "setting": label or "—", "params": params_text(frame),
                             "solved / n": f"{solved} / {n}", "success rate": f"{solved / n:.2f}",
                             "Wilson 95%": fmt_interval(lo, hi, 2),
                             "median steps to solve": "—" if math.isnan(median_steps) else f"{median_steps:.0f}",
                             "test accuracy": acc.fmt(3), "seeds": seed_range(frame["seed"].tolist())})
    return Table("xor", "XOR: how often each model solves it",
                 pd.DataFrame(numeric_rows), pd.DataFrame(display_rows),
                 "A run is solved when every test point is classified correctly. Success rate over seeds with "
                 "its Wilson 95% score interval; steps to solve = optimizer steps until the first evaluation "
                 "with every point right, median over the solved seeds.")


def inversion_table(table: RunTable) -> Table | None:
    """Inversion: clean, 1 − x, −x and w → −w accuracy (mean ± std) and retention = inverted / clean."""
    runs = table.runs[table.runs["dataset"] == "inversion"] if not table.empty else table.runs
    if runs.empty:
        return None
    numeric_rows, display_rows = [], []
    for (_, model, label), frame in groups(runs):
        ok = frame[frame["status"] == "ok"]
        num: dict[str, Any] = {"model": model, "setting": label, "params": frame["params"].median(),
                               "n": len(ok), "seeds": seed_range(frame["seed"].tolist())}
        disp: dict[str, Any] = {"model": model, "setting": label or "—", "params": params_text(frame),
                                "n": _n_text(frame, ok)}
        for key, name in INVERSIONS:
            acc = summarize(col(ok, f"{key}_accuracy"), bounded=True)
            num[f"{key}_accuracy_mean"], num[f"{key}_accuracy_std"] = acc.mean, acc.std
            disp[f"{name} acc."] = acc.fmt(3)
        for key, name in INVERSIONS[1:]:
            ret = summarize(col(ok, f"retention_{key}"), bounded=NONNEGATIVE)
            num[f"retention_{key}_mean"], num[f"retention_{key}_std"] = ret.mean, ret.std
            num[f"retention_{key}_ci_lo"], num[f"retention_{key}_ci_hi"] = ret.lo, ret.hi
            disp[f"retention {name}"] = ret.fmt(2)
        disp["seeds"] = num["seeds"]
        numeric_rows.append(num)
        display_rows.append(disp)
    return Table("inversion", "Inversion: accuracy on inverted digits and retention",
                 pd.DataFrame(numeric_rows), pd.DataFrame(display_rows),
                 "Accuracy on the clean test set, on pixel-inverted images (1 − x on raw [0, 1] pixels), on "
                 "sign-inverted inputs (−x of the model's input); w → −w is the same computation as −x "
                 "(ⵟ(−w, x) = ⵟ(w, −x), (−W)x = W(−x)) and is not shown twice; "
                 "retention = inverted / clean accuracy, mean ± std over seeds. Chance is 0.10.")


def runs_table(table: RunTable) -> pd.DataFrame:
    """Every run, metrics and config columns, for runs.csv."""
    return table.runs.copy()


def _headline(frame: pd.DataFrame) -> str:
    values = col(frame, "headline").dropna()
    if len(values):
        return str(values.iloc[0])
    task = col(frame, "task").dropna()
    return "mse" if len(task) and task.iloc[0] == "regression" else "accuracy"


def _metric_name(metric: str) -> str:
    return {"test_accuracy": "accuracy", "test_mse": "MSE (z²)"}.get(metric, metric)


def _n_text(frame: pd.DataFrame, ok: pd.DataFrame) -> str:
    return str(len(ok)) if len(ok) == len(frame) else f"{len(ok)} (+{len(frame) - len(ok)} diverged)"


def to_markdown(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (no extra dependency)."""
    if frame.empty:
        return "_(no rows)_\n"
    headers = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for _, row in frame.iterrows():
        cells = [str(v).replace("|", "\\|") for v in row.tolist()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_table(tab: Table, out_dir: Path) -> list[Path]:
    """``<name>.csv`` (numbers) and ``<name>.md`` (formatted, with its caption)."""
    csv_path, md_path = out_dir / f"{tab.name}.csv", out_dir / f"{tab.name}.md"
    tab.numeric.to_csv(csv_path, index=False)
    md_path.write_text(f"## {tab.title}\n\n{tab.caption}\n\n{to_markdown(tab.display)}")
    return [csv_path, md_path]


def all_tables(table: RunTable, failures: list[Failure]) -> list[Table]:
    """The summary table, then the XOR and inversion tables where those runs exist; a table that cannot be
    made is recorded in ``failures`` and the others are still made."""
    tables = []
    for maker in (summary_table, xor_table, inversion_table):
        made = attempt("table", maker.__name__.removesuffix("_table"), lambda maker=maker: maker(table), failures)
        if made is not None:
            tables.append(made)
    return tables
