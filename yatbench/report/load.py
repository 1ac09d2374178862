"""Read every run folder under a results directory into one pandas table.

One row per complete run: the metrics.json facts (run_id, dataset, model, seed, status,
params, …), its ``metrics`` flattened into columns (``test_accuracy``, ``test_r2``, …) and
its config.yaml flattened into dotted columns (``model.hidden``, ``trainer.epochs``, …).
Folders that look like runs but cannot be read (no or malformed metrics.json, missing
fields, unreadable config.yaml) are listed in :attr:`RunTable.broken` with the reason and
left out. Nothing here touches training data.

Runs that differ only by seed form a *variant* (``variant`` column, a hash of the config
without seed and execution-only settings); ``variant_label`` names what sets a variant apart
from the other variants of the same dataset and model (e.g. ``model.hidden=[3]``), and is
empty when there is only one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from yatbench.results import METRICS_FILE, PARTIAL_DIR

REPORT_DIR = "report"
REQUIRED = ("run_id", "dataset", "model", "seed", "status", "metrics")
# Config keys that do not change what a run computes (or that each run differs by): not a variant.
NOT_VARIANT = {"seed", "results_dir", "device.name", "trainer.progress", "trainer.seed_batching"}
MODEL_ORDER = ["yat", "linear", "relu", "attention"]
# The columns every table has, even with no runs (so an empty folder still filters cleanly).
BASE_COLUMNS = (*REQUIRED, "task", "params", "device", "source", "train_time_s", "folder", "variant",
                "variant_label")


@dataclass
class RunTable:
    """Every readable run as a DataFrame, plus the folders that were skipped and why."""

    results_dir: Path
    runs: pd.DataFrame
    broken: list[tuple[str, str]] = field(default_factory=list)
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.runs.empty

    def run_dir(self, run_id: str) -> Path:
        return self.results_dir / run_id


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


def read_run(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """One run folder → (flat row, config dict). Raises ValueError with a reason when broken."""
    metrics_path = folder / METRICS_FILE
    if not metrics_path.is_file():
        raise ValueError("no metrics.json (the run did not finish)")
    try:
        record = json.loads(metrics_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"metrics.json is not valid JSON ({exc.__class__.__name__})") from None
    if not isinstance(record, dict):
        raise ValueError("metrics.json does not hold an object")
    missing = [key for key in REQUIRED if key not in record]
    if missing:
        raise ValueError(f"metrics.json lacks {', '.join(missing)}")
    if not isinstance(record["metrics"], dict):
        raise ValueError("metrics.json 'metrics' is not an object")
    config_path = folder / "config.yaml"
    if not config_path.is_file():
        raise ValueError("no config.yaml")
    try:
        config = yaml.safe_load(config_path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"config.yaml is not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(config, dict):
        raise ValueError("config.yaml does not hold a mapping")
    try:
        seed = int(record["seed"])
    except (TypeError, ValueError):
        raise ValueError(f"seed {record['seed']!r} is not an integer") from None

    row: dict[str, Any] = {k: v for k, v in record.items() if k not in ("metrics", "notes", "versions")}
    row["seed"] = seed
    row["folder"] = folder.name
    row["notes"] = " | ".join(record.get("notes") or [])
    for key, value in record["metrics"].items():
        row[key] = value
    flat_config = {k: v for k, v in flatten(config).items() if not k.endswith("._target_")}
    for key, value in flat_config.items():
        if key not in ("seed", "results_dir"):
            row[key] = value
    variant_items = sorted((k, str(v)) for k, v in flat_config.items() if k not in NOT_VARIANT)
    row["variant"] = hashlib.sha1(json.dumps(variant_items).encode()).hexdigest()[:8]
    return row, config


def load_runs(results_dir: Path) -> RunTable:
    """Every run folder directly under ``results_dir`` (``report/``, ``.partial/`` and folders
    holding no run files are not runs and are passed over)."""
    rows: list[dict[str, Any]] = []
    configs: dict[str, dict[str, Any]] = {}
    broken: list[tuple[str, str]] = []
    if results_dir.is_dir():
        for folder in sorted(results_dir.iterdir()):
            if not folder.is_dir() or folder.name.startswith(".") or folder.name in (REPORT_DIR, PARTIAL_DIR):
                continue
            if not _looks_like_run(folder):
                continue
            try:
                row, config = read_run(folder)
            except ValueError as exc:
                broken.append((folder.name, str(exc)))
                continue
            rows.append(row)
            configs[row["run_id"]] = config
    runs = pd.DataFrame(rows) if rows else pd.DataFrame(columns=list(BASE_COLUMNS))
    if not runs.empty:
        runs = _label_variants(runs)
        order = {name: i for i, name in enumerate(MODEL_ORDER)}
        runs["_order"] = runs["model"].map(lambda m: order.get(m, len(order)))
        runs = runs.sort_values(["dataset", "_order", "model", "params", "variant_label", "seed"])
        runs = runs.drop(columns="_order")
        runs = runs.reset_index(drop=True)
    return RunTable(results_dir, runs, broken, configs)


def _label_variants(runs: pd.DataFrame) -> pd.DataFrame:
    """Name each variant by the config keys whose values differ between variants of its dataset.

    Dataset and trainer keys are compared across the whole dataset, model keys within one model.
    """
    runs = runs.copy()
    config_cols = [c for c in runs.columns if c.split(".")[0] in ("dataset", "model", "trainer")
                   and "." in c and c not in NOT_VARIANT and c not in ("dataset.name", "model.name")]
    labels = pd.Series("", index=runs.index, dtype=object)
    for dataset, by_data in runs.groupby("dataset"):
        shared = [c for c in config_cols if not c.startswith("model.") and _varies(by_data, c)]
        for model, by_model in by_data.groupby("model"):
            own = [c for c in config_cols if c.startswith("model.") and _varies(by_model, c)]
            for index, row in by_model.iterrows():
                parts = [f"{c}={show_value(row[c])}" for c in [*shared, *own]]
                labels[index] = " ".join(parts)
            del model
        del dataset
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


@functools.lru_cache(maxsize=64)
def default_model_config(dataset: str, model: str) -> dict[str, Any] | None:
    """The packaged default ``model`` node for a dataset (Hydra composition, no data), or None."""
    try:
        from omegaconf import OmegaConf

        from yatbench.config import compose_config

        cfg = compose_config([f"dataset={dataset}", f"model={model}"])
        node = OmegaConf.to_container(cfg.model, resolve=True)
    except Exception:
        return None
    return flatten({k: v for k, v in node.items() if k != "_target_"}, "model.")


def setting_key(runs: pd.DataFrame) -> pd.Series:
    """Per run, its dataset and trainer settings as one string (what must match for a fair comparison)."""
    cols = sorted(c for c in runs.columns if c.startswith(("dataset.", "trainer.")) and c not in NOT_VARIANT)
    if not cols:
        return pd.Series("", index=runs.index)
    return runs[cols].apply(lambda row: "|".join(show_value(v) for v in row), axis=1)


def main_variants(runs: pd.DataFrame) -> dict[tuple[str, str], str]:
    """For each (dataset, model), the variant label the figures and comparisons use.

    First the *reference setting* of each dataset: the dataset + trainer settings shared by the
    most runs (so every model is compared under the same data and training budget). Among a
    model's variants with that setting (all its variants if it has none there): the one whose
    model settings equal the packaged defaults (the parameter-matched sizes of
    ``conf/dataset_model/``), else the one with the most seeds, ties to the first label.
    """
    chosen: dict[tuple[str, str], str] = {}
    if runs.empty:
        return chosen
    runs = runs.assign(_setting=setting_key(runs))
    for dataset, by_data in runs.groupby("dataset", sort=False):
        reference = by_data["_setting"].value_counts().index[0]
        for model, frame in by_data.groupby("model", sort=False):
            candidates = frame[frame["_setting"] == reference]
            if candidates.empty:
                candidates = frame
            defaults = default_model_config(str(dataset), str(model))
            if defaults:
                keep = pd.Series(True, index=candidates.index)
                for key, value in defaults.items():
                    if key in candidates.columns and key != "model.name":
                        keep &= candidates[key].map(lambda seen, want=value: same_value(seen, want))
                if keep.any():
                    candidates = candidates[keep]
            counts = candidates.groupby("variant_label")["seed"].nunique()
            best = counts[counts == counts.max()].index
            chosen[(str(dataset), str(model))] = sorted(best)[0]
    return chosen
