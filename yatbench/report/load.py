"""Read every run folder under a results directory into one pandas table.

One row per complete run: its record (metrics.json, read and checked by
:meth:`yatbench.core.record.RunRecord.from_dict`), its ``metrics`` flattened into columns
(``test_accuracy``, ``test_r2``, …), its data facts (``task``, ``source``, ``preprocess``,
``in_features``, …) and its config.yaml flattened into dotted columns (``model.hidden``,
``trainer.epochs``, …), its ``tags`` (comma-joined) and its provenance (``commit``, ``host``,
``versions.torch``, … see :func:`provenance_columns`). Folders that look like runs but cannot be read (no or malformed
metrics.json, a record that fails its checks, an unreadable or ill-shaped config.yaml, or any folder
:func:`yatbench.rundir.results.damage` calls damaged, e.g. a config.yaml that does not hash to the run id: the
folders `yatbench run` and `sweep` would rerun) are listed in :attr:`RunTable.broken` with the reason and
left out. Nothing here touches training data, imports code named in a folder, or reads today's ``conf/``.

A run's history.csv is read only when it is at most ``HISTORY_MAX_BYTES`` (32 MiB, about 300 000
rows of a 15-column history; a preset's longest history is 200 rows, 14 kB): a larger one is not read
at all, and the learning curve or claim that wanted it says so (:func:`yatbench.rundir.results.history_too_large`).

Runs that differ only by seed form a *configuration*: the ``variant`` column holds the recorded
seedless key (:func:`yatbench.core.identity.seedless_key`), ``setting`` the recorded setting key
(same data, preprocessing and training), and ``variant_label`` names what sets a configuration
apart from the others of the same dataset and model (e.g. ``model.hidden=[3]``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from yatbench.core.identity import is_execution_only
from yatbench.core.record import DataFacts, RunRecord
from yatbench.report.registry import model_rank
from yatbench.rundir.results import METRICS_FILE, PARTIAL_DIR, damage
from yatbench.rundir.tags import read_tags

REPORT_DIR = "report"
HISTORY_FILE = "history.csv"
FACTS = ("task", "source", "preprocess", "in_features", "out_features", "n_train", "n_test", "n_val", "val_kind",
         "metric")
# The convergence rule's outcome (yatbench/train/trainer.py): None for runs recorded before it.
CONVERGENCE = ("best_epoch", "converged", "stop_reason", "max_epochs")
# The columns every table has, even with no runs (so an empty folder still filters cleanly).
PROVENANCE = ("commit", "dirty", "command", "host", "cpu", "threads", "device_name")
VERSIONS = ("yatbench", "torch", "numpy", "python")
BASE_COLUMNS = ("run_id", "dataset", "model", "seed", "status", "params", "device", "train_time_s", *FACTS,
                *CONVERGENCE,
                "folder", "variant", "setting", "variant_label", "tags", *PROVENANCE, "finished_at",
                *(f"versions.{name}" for name in VERSIONS))


@dataclass
class RunTable:
    """Every readable run as a DataFrame, plus the folders that were skipped and why."""

    results_dir: Path
    runs: pd.DataFrame
    broken: list[tuple[str, str]] = field(default_factory=list)
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    records: dict[str, RunRecord] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.runs.empty

    def run_dir(self, run_id: str) -> Path:
        return self.results_dir / run_id  # the reader checked that a record's run id is its folder name

    def artifact(self, run_id: str, name: str) -> Path | None:
        """The file of a run-level artifact the run recorded (``RunRecord.artifacts``), or None when absent."""
        file = self.records[run_id].artifacts.get(name)
        path = self.run_dir(run_id) / file if file else None
        return path if path is not None and path.is_file() else None

    def facts(self, run_id: str) -> DataFacts:
        """The recorded data facts of a run (sizes, task, preprocessing)."""
        return self.records[run_id].data


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys; lists kept as compact strings (``[7]``) so they can be grouped."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, (list, tuple)):
            out[name] = json.dumps(list(value), separators=(",", ":"))
        else:
            out[name] = value
    return out


def _looks_like_run(folder: Path) -> bool:
    return any((folder / name).exists() for name in (METRICS_FILE, "config.yaml", "model.pt", "history.csv"))


def read_run(folder: Path) -> tuple[dict[str, Any], dict[str, Any], RunRecord]:
    """One run folder → (flat row, config dict, record). Raises ValueError with a reason when broken."""
    metrics_path = folder / METRICS_FILE
    if not metrics_path.is_file():
        raise ValueError("no metrics.json (the run did not finish)")
    try:
        data = json.loads(metrics_path.read_text())
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:  # ValueError: also ints of > 4300 digits
        raise ValueError(f"metrics.json is not valid JSON ({exc.__class__.__name__})") from None
    record = RunRecord.from_dict(data)
    if record.run_id != folder.name:
        raise ValueError(f"metrics.json names run {record.run_id!r}, not its folder {folder.name!r}")
    config = read_config(folder, record)
    problem = damage(folder)  # the check `yatbench run` and `sweep` make: a config that does not hash to the id
    if problem is not None:  # is not the config the run was made with, so its numbers are not this run's
        raise ValueError(f"damaged: {problem} (`yatbench run` would rerun it)")
    row: dict[str, Any] = {
        "run_id": record.run_id, "dataset": record.dataset, "model": record.model, "seed": record.seed,
        "status": record.status, "params": record.params, "device": record.device,
        "train_time_s": record.train_time_s, "diverged_epoch": record.diverged_epoch, "folder": folder.name,
        **{key: getattr(record, key) for key in CONVERGENCE},
        "variant": record.seedless_key, "setting": record.setting_key, "notes": " | ".join(record.notes),
        **{key: getattr(record.data, key) for key in FACTS},
    }
    row["tags"] = ",".join(read_tags(folder))
    row.update(provenance_columns(record))
    for key, value in record.metrics.items():
        if key not in row:
            row[key] = value
    for key, value in flatten(config).items():
        if not key.endswith("._target_") and key not in ("seed", "results_dir"):
            row[key] = value
    return row, config, record


def provenance_columns(record: RunRecord) -> dict[str, Any]:
    """The run's provenance as runs.csv columns: ``commit``, ``dirty``, ``command``, ``host``, ``cpu``,
    ``threads``, ``device_name``, ``finished_at`` and ``versions.<library>`` (missing where a run predates them)."""
    columns: dict[str, Any] = {name: record.provenance.get(name) for name in PROVENANCE}
    columns["finished_at"] = record.finished_at or None
    columns.update({f"versions.{name}": record.versions.get(name) for name in VERSIONS})
    return columns


def read_config(folder: Path, record: RunRecord) -> dict[str, Any]:
    """config.yaml as a mapping whose dataset and model nodes agree with the record, or ValueError."""
    config_path = folder / "config.yaml"
    if not config_path.is_file():
        raise ValueError("no config.yaml")
    try:
        config = yaml.safe_load(config_path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
        raise ValueError(f"config.yaml is not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(config, dict):
        raise ValueError("config.yaml does not hold a mapping")
    for group in ("dataset", "model", "trainer"):
        if not isinstance(config.get(group), dict):
            raise ValueError(f"config.yaml: {group} is {config.get(group)!r}, not a mapping")
    for group, name in (("dataset", record.dataset), ("model", record.model)):
        if config[group].get("name") != name:
            raise ValueError(f"config.yaml: {group}.name {config[group].get('name')!r} is not the recorded {name!r}")
    return config


def load_runs(results_dir: Path) -> RunTable:
    """Every run folder directly under ``results_dir`` (``report/``, ``.partial/`` and folders
    holding no run files are not runs and are passed over)."""
    rows: list[dict[str, Any]] = []
    configs: dict[str, dict[str, Any]] = {}
    records: dict[str, RunRecord] = {}
    broken: list[tuple[str, str]] = []
    if results_dir.is_dir():
        for folder in sorted(results_dir.iterdir()):
            if not folder.is_dir() or folder.name.startswith(".") or folder.name in (REPORT_DIR, PARTIAL_DIR):
                continue
            if not _looks_like_run(folder):
                continue
            try:
                row, config, record = read_run(folder)
            except ValueError as exc:
                broken.append((folder.name, str(exc)))
                continue
            rows.append(row)
            configs[record.run_id] = config
            records[record.run_id] = record
    runs = pd.DataFrame(rows) if rows else pd.DataFrame(columns=list(BASE_COLUMNS))
    if not runs.empty:
        runs = label_variants(runs)
        runs["_order"] = runs["model"].map(model_rank)  # the subject first, then the group's models by name
        runs = runs.sort_values(["dataset", "_order", "model", "params", "variant_label", "seed"])
        runs = runs.drop(columns="_order")
        runs = runs.reset_index(drop=True)
    return RunTable(results_dir, runs, broken, configs, records)


def config_columns(runs: pd.DataFrame) -> list[str]:
    """The flattened config columns that are part of a run's identity (no seed, names or execution-only keys)."""
    return [c for c in runs.columns if c.split(".")[0] in ("dataset", "model", "trainer", "device", "data")
            and "." in c and not is_execution_only(c) and c not in ("dataset.name", "model.name")]


def label_variants(runs: pd.DataFrame) -> pd.DataFrame:
    """Name each configuration by the config keys whose values differ between configurations of its dataset.

    Dataset, trainer, device and data keys are compared across the whole dataset, model keys within
    one model. Two configurations that would get the same words also get their seedless keys.
    """
    runs = runs.copy()
    cols = config_columns(runs)
    labels = pd.Series("", index=runs.index, dtype=object)
    for _, by_data in runs.groupby("dataset"):
        shared = [c for c in cols if not c.startswith("model.") and _varies(by_data, c)]
        for _, by_model in by_data.groupby("model"):
            own = [c for c in cols if c.startswith("model.") and _varies(by_model, c)]
            for index, row in by_model.iterrows():
                labels[index] = " ".join(f"{c}={show_value(row[c])}" for c in [*shared, *own])
            keys_per_label = by_model.assign(_l=labels[by_model.index]).groupby("_l")["variant"].nunique()
            for label in keys_per_label[keys_per_label > 1].index:
                clash = by_model.index[labels[by_model.index] == label]
                labels[clash] = [f"{label} [{key}]".strip() for key in by_model.loc[clash, "variant"]]
    runs["variant_label"] = labels
    return runs


def as_text(values: pd.Series) -> pd.Series:
    """Config values as comparable strings (missing → "–"), whatever pandas made of the column."""
    return values.map(show_value)


def _varies(frame: pd.DataFrame, column: str) -> bool:
    return frame[column].map(show_value).nunique(dropna=False) > 1


def same_value(seen: Any, want: Any) -> bool:
    """Equal config values, also when pandas turned an int column into floats (5 vs 5.0)."""
    if isinstance(seen, (int, float)) and isinstance(want, (int, float)) and not isinstance(want, bool):
        return not (isinstance(seen, float) and math.isnan(seen)) and float(seen) == float(want)
    return show_value(seen) == show_value(want)


def show_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # an int column with gaps arrives as floats: experts=5, not 5.0
    return str(value)


def main_variants(runs: pd.DataFrame) -> dict[tuple[str, str], str]:
    """For each (dataset, model), the one configuration (seedless key) that figures draw.

    The *reference setting* of a dataset is the setting key (same data, preprocessing and training)
    shared by the most runs; within it (or among all the model's configurations if it has none
    there) the configuration with the most seeds, ties to the first label; the Yat ablation kernels
    (``model.kernel=square | distance``) only when the real ⵟ was not run. Claims do not use this
    choice: they decide each configuration on its own.
    """
    chosen: dict[tuple[str, str], str] = {}
    if runs.empty:
        return chosen
    ok = runs[runs["status"] == "ok"]
    for dataset, by_data in ok.groupby("dataset", sort=False):
        reference = by_data["setting"].value_counts().index[0]
        for model, frame in by_data.groupby("model", sort=False):
            candidates = frame[frame["setting"] == reference]
            if candidates.empty:
                candidates = frame
            if "model.kernel" in candidates.columns:  # an ablation kernel is drawn only when ⵟ itself was not run
                real = candidates[as_text(candidates["model.kernel"]).isin(["yat", "–"])]
                candidates = real if not real.empty else candidates
            counts = candidates.groupby(["variant_label", "variant"])["seed"].nunique()
            best = counts[counts == counts.max()].index
            chosen[(str(dataset), str(model))] = sorted(best)[0][1]
    return chosen
