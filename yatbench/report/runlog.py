"""The page's "Runs behind every number" section: one anchor per configuration (``#cfg-<seedless key>``)
and one per run (``#run-<run id>``) with its config, its metrics and a plot of its recorded history.

Claim cards and tables link here, so every number on the page can be followed to the runs it rests on.
"""

from __future__ import annotations

import csv
import html
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from yatbench.report.html import sparkline
from yatbench.report.load import HISTORY_FILE, RunTable, config_columns, show_value
from yatbench.rundir.results import history_too_large


def cfg_anchor(key: str) -> str:
    return f"cfg-{key}"


def run_anchor(run_id: str) -> str:
    return f"run-{run_id}"


@dataclass
class RunEntry:
    """One run: what identifies it, its metrics, and its recorded history (step → value per column)."""

    run_id: str
    seed: int
    status: str
    params: int
    metrics: dict[str, str]
    history: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    history_note: str = ""  # why the history is not shown (over the size limit), when it is not


@dataclass
class ConfigEntry:
    """One configuration (runs that differ only by seed) and its runs."""

    key: str
    title: str
    config: dict[str, str]
    runs: list[RunEntry]


def read_history(path: Path) -> dict[str, tuple[list[float], list[float]]]:
    """history.csv as {column: (steps, values)} for train_loss and every test_* column; {} when absent,
    unreadable or over the size limit (:func:`yatbench.report.load.history_too_large`)."""
    if history_too_large(path):
        return {}
    try:
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, csv.Error, UnicodeDecodeError):
        return {}
    if not rows:
        return {}
    out: dict[str, tuple[list[float], list[float]]] = {}
    for column in rows[0]:
        if column == "train_loss" or column.startswith("test_"):
            xs, ys = [], []
            for index, row in enumerate(rows):
                try:
                    value = float(row[column])
                    step = float(row.get("step") or index)
                except (TypeError, ValueError):
                    continue
                xs.append(step)
                ys.append(value)
            if xs:
                out[column] = (xs, ys)
    return out


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return "–" if math.isnan(value) else f"{value:.4g}"
    return show_value(value)


def run_sections(table: RunTable) -> list[ConfigEntry]:
    """Every configuration of the table, in its row order, with its runs and their histories."""
    runs = table.runs
    if runs.empty:
        return []
    columns = config_columns(runs)
    out = []
    for key in dict.fromkeys(runs["variant"]):
        frame = runs[runs["variant"] == key]
        first = frame.iloc[0]
        label = str(first["variant_label"])
        title = f"{first['dataset']} · {first['model']}" + (f" · {label}" if label else "")
        config = {c: show_value(first[c]) for c in columns if show_value(first[c]) != "–"}
        entries = []
        for _, row in frame.iterrows():
            record = table.records.get(str(row["run_id"]))
            metrics = {k: _fmt(v) for k, v in (record.metrics if record else {}).items() if k != "headline"}
            path = table.run_dir(str(row["run_id"])) / HISTORY_FILE
            entries.append(RunEntry(str(row["run_id"]), int(row["seed"]), str(row["status"]), int(row["params"]),
                                    metrics, read_history(path), history_too_large(path)))
        out.append(ConfigEntry(str(key), title, config, entries))
    return out


def runs_markdown(sections: list[ConfigEntry]) -> str:
    """Markdown: per configuration, its config in one line and a table of its runs (metrics only)."""
    parts = []
    for entry in sections:
        parts.append(f"#### <a id=\"{cfg_anchor(entry.key)}\"></a>{entry.title} (`{entry.key}`)\n")
        parts.append("Config: " + ", ".join(f"`{k}={v}`" for k, v in entry.config.items()) + "\n")
        names = list(dict.fromkeys(k for run in entry.runs for k in run.metrics))
        rows = ["| run | seed | status | params | " + " | ".join(names) + " |",
                "|" + "---|" * (4 + len(names))]
        for run in entry.runs:
            cells = [f"<a id=\"{run_anchor(run.run_id)}\"></a>`{run.run_id}`", str(run.seed), run.status,
                     f"{run.params:,}", *(run.metrics.get(n, "") for n in names)]
            rows.append("| " + " | ".join(cells) + " |")
        parts.append("\n".join(rows) + "\n")
    return "\n".join(parts)


def runs_html(sections: list[ConfigEntry]) -> str:
    """HTML: per configuration a heading anchor and its config; per run a collapsible card with metrics and plots."""
    out = []
    for entry in sections:
        config = ", ".join(f"<code>{html.escape(k)}={html.escape(v)}</code>" for k, v in entry.config.items())
        out.append(f"<h4 id='{cfg_anchor(entry.key)}'>{html.escape(entry.title)} <code>{html.escape(entry.key)}"
                   f"</code></h4><p class='caption'>Config: {config}</p>")
        for run in entry.runs:
            metrics = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in run.metrics.items())
            plots = "".join(f"<dt>{html.escape(name)} by step</dt><dd>{sparkline(xs, ys)} "
                            f"{ys[0]:.4g} → {ys[-1]:.4g}</dd>" for name, (xs, ys) in run.history.items())
            if run.history_note:
                plots += f"<dt>history</dt><dd>{html.escape(run.history_note)}</dd>"
            out.append(f"<details class='run' id='{run_anchor(run.run_id)}'><summary>seed {run.seed} · "
                       f"{html.escape(run.status)} · {run.params:,} params · <code>{html.escape(run.run_id)}</code>"
                       f"</summary><dl><dt>folder</dt><dd><code>{html.escape(run.run_id)}/</code> (config.yaml, "
                       f"metrics.json, history.csv)</dd>{metrics}{plots}</dl></details>")
    return "\n".join(out)


def run_links(runs: pd.DataFrame, keys: list[str]) -> str:
    """Markdown links to the configurations ``keys`` and to each of their runs, for a claim card."""
    parts = []
    for key in keys:
        frame = runs[runs["variant"] == key] if not runs.empty else runs
        if frame.empty:
            continue
        seeds = " ".join(f"[s{int(s)}](#{run_anchor(str(r))})" for s, r in zip(frame["seed"], frame["run_id"],
                                                                                strict=True))
        parts.append(f"[{key}](#{cfg_anchor(key)}): {seeds}")
    return "; ".join(parts)

