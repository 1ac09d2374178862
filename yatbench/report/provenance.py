"""Where each configuration's runs came from, and a warning when its seeds were made by different code.

One row per configuration (runs that differ only by seed): the source commit(s) and whether any tree
was dirty, the versions of yatbench, torch, NumPy and Python, the hosts, CPUs, threads and devices
(:mod:`yatbench.rundir.provenance` records them in every run). Seeds averaged together should come from the
same code: a configuration whose runs name more than one commit or version gets one warning line,
on the terminal and on the page. Runs that predate the record of a field are left out of its check.
"""

from __future__ import annotations

import pandas as pd

from yatbench.report.load import VERSIONS, show_value

CHECKED = ("commit", *(f"versions.{name}" for name in VERSIONS))  # a difference here is a warning
SHOWN = ("host", "cpu", "threads", "device_name")


def _values(frame: pd.DataFrame, column: str) -> list[str]:
    """The distinct recorded values of a column, in run order ("–" missing values left out)."""
    if column not in frame.columns:
        return []
    return [v for v in dict.fromkeys(frame[column].map(show_value)) if v != "–"]


def _short(column: str, value: str) -> str:
    return value[:10] if column == "commit" and len(value) == 40 else value


def _joined(frame: pd.DataFrame, column: str) -> str:
    values = [_short(column, v) for v in _values(frame, column)]
    return " | ".join(values) if values else "–"


def provenance_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per configuration: dataset, model, setting, runs, commit, dirty, versions, host, CPU, threads, device."""
    rows = []
    if runs.empty:
        return pd.DataFrame(rows)
    for (dataset, model, label), frame in runs.groupby(["dataset", "model", "variant_label"], sort=False):
        dirty = _values(frame, "dirty")
        row = {"dataset": dataset, "model": model, "setting": label or "—", "runs": len(frame),
               "commit": _joined(frame, "commit"),
               "dirty": "yes" if "True" in dirty else "no" if dirty else "–"}
        row.update({name: _joined(frame, f"versions.{name}") for name in VERSIONS})
        row.update({name: _joined(frame, name) for name in SHOWN})
        rows.append(row)
    return pd.DataFrame(rows)


def version_warnings(runs: pd.DataFrame) -> list[str]:
    """One line per configuration whose runs name more than one commit or library version."""
    lines = []
    if runs.empty:
        return lines
    for (dataset, model, label), frame in runs.groupby(["dataset", "model", "variant_label"], sort=False):
        mixed = [f"{column.removeprefix('versions.')} {' vs '.join(_short(column, v) for v in values)}"
                 for column in CHECKED if len(values := _values(frame, column)) > 1]
        if mixed:
            name = f"{dataset} · {model}" + (f" · {label}" if label else "")
            lines.append(f"{name}: its {len(frame)} runs were made with different code ({'; '.join(mixed)}); "
                         "rerun them with one version (yatbench sweep ... --force) before trusting their spread")
    return lines
