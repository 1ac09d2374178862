"""Per-run exports that researchers' own tools read, written from the recorded history (never from
inside the training loop): ``export=jsonl`` adds ``events.jsonl`` to each run folder.

``events.jsonl`` holds one JSON object per line:

- ``{"type": "run", "run_id", "dataset", "model", "seed", "params", "status", "config": {...}}`` first;
- ``{"type": "scalar", "run_id", "name": "test_accuracy", "step": 120, "epoch": 3, "value": 0.97}``, one
  per recorded value of history.csv (train_loss and every test metric, at every evaluation);
- ``{"type": "summary", "run_id", "metrics": {...}}`` last: the final metrics of metrics.json.

Every line carries the run id, so the files of many runs can be concatenated and still told apart.
``export=jsonl`` on a run that is already complete writes the file into its folder from what the
run recorded (:func:`export_finished`), without training again.

Open it with ``pandas.read_json(path, lines=True)`` (one row per line; filter ``type == "scalar"``
and pivot on ``name``), with ``jq``, or with W&B / MLflow importers that read JSON lines.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from yatbench.core.errors import UserError
from yatbench.core.safe_paths import atomic_write_text

EXPORTS = ("none", "jsonl")
EVENTS_FILE = "events.jsonl"


def _plain(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def event_lines(record: dict[str, Any], config: dict[str, Any], history: Sequence[dict[str, Any]]) -> list[str]:
    """The lines of events.jsonl for one run."""
    head = {"type": "run", **{k: record.get(k) for k in ("run_id", "dataset", "model", "seed", "params", "status")},
            "config": config}
    run_id = record.get("run_id")
    lines = [head]
    for row in history:
        step, epoch = row.get("step"), row.get("epoch")
        for name, value in row.items():
            if name in ("step", "epoch") or not isinstance(value, (int, float)):
                continue
            lines.append({"type": "scalar", "run_id": run_id, "name": name, "step": step, "epoch": epoch,
                          "value": _plain(value)})
    lines.append({"type": "summary", "run_id": run_id,
                  "metrics": {k: _plain(v) for k, v in record.get("metrics", {}).items()}})
    return [json.dumps(line, allow_nan=False, default=str) for line in lines]


def write_exports(kind: str, folder: Path, record: dict[str, Any], config: dict[str, Any],
                  history: Sequence[dict[str, Any]]) -> list[Path]:
    """Write the exports ``kind`` asks for into a run folder (still its temporary folder: atomic with it)."""
    if kind != "jsonl":
        return []
    path = folder / EVENTS_FILE
    path.write_text("\n".join(event_lines(record, config, history)) + "\n")
    return [path]


def _number(text: str | None) -> int | float | str | None:
    """A history.csv cell as the number it was written from (``3`` → 3, ``0.5`` → 0.5, ``nan`` → NaN)."""
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def read_history_rows(path: Path) -> list[dict[str, Any]]:
    """history.csv back as the rows it was written from (numbers as numbers, empty cells left out).

    The one reader of a run's history outside the report: a file over the report's size limit
    (:func:`yatbench.report.load.history_too_large`) is not read at all, and one that cannot be read
    (a field longer than the csv module allows, not UTF-8, an I/O error) raises ValueError with a
    one-line reason, so that every caller skips the history with a note instead of a traceback.
    """
    from yatbench.rundir.results import history_too_large

    too_large = history_too_large(path)
    if too_large:
        raise ValueError(too_large)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            return [{k: v for k, v in ((k, _number(v)) for k, v in row.items()) if v is not None}
                    for row in csv.DictReader(handle)]
    except (OSError, csv.Error, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"{path.name} cannot be read ({reason})") from None


def export_finished(kind: str, run_dir: Path) -> str | None:
    """Write the export ``kind`` into a finished run folder from its recorded files; say what happened.

    Returns None when nothing was asked (``none``), else one line for the user: written, already there,
    or why not (a file the export needs cannot be read). The file appears in one rename.
    """
    if kind != "jsonl":
        return None
    path = run_dir / EVENTS_FILE
    if path.is_file():
        return f"{run_dir.name}: {EVENTS_FILE} is already there"
    import yaml

    try:
        record = json.loads((run_dir / "metrics.json").read_text())
        config = yaml.safe_load((run_dir / "config.yaml").read_text())
        history = read_history_rows(run_dir / "history.csv")
    except (OSError, ValueError, RecursionError, yaml.YAMLError) as exc:  # ValueError: also read_history_rows' reasons
        return f"{run_dir.name}: no {EVENTS_FILE} written: its recorded files cannot be read ({exc.__class__.__name__})"
    text = "\n".join(event_lines(record, config if isinstance(config, dict) else {}, history)) + "\n"
    try:  # never through a linked run folder; an owned temporary name (see yatbench.core.safe_paths)
        atomic_write_text(run_dir, EVENTS_FILE, text)
    except UserError as exc:
        return f"{run_dir.name}: no {EVENTS_FILE} written: {exc}"
    except OSError as exc:
        return f"{run_dir.name}: no {EVENTS_FILE} written: {exc.strerror or exc}"
    return f"{run_dir.name}: finished run, {EVENTS_FILE} written from its recorded history"
