"""Per-run exports that researchers' own tools read, written from the recorded history (never from
inside the training loop): ``export=jsonl`` adds ``events.jsonl`` to each run folder.

``events.jsonl`` holds one JSON object per line:

- ``{"type": "run", "run_id", "dataset", "model", "seed", "params", "status", "config": {...}}`` first;
- ``{"type": "scalar", "name": "test_accuracy", "step": 120, "epoch": 3, "value": 0.97}``, one per
  recorded value of history.csv (train_loss and every test metric, at every evaluation);
- ``{"type": "summary", "metrics": {...}}`` last: the final metrics of metrics.json.

Open it with ``pandas.read_json(path, lines=True)`` (one row per line; filter ``type == "scalar"``
and pivot on ``name``), with ``jq``, or with W&B / MLflow importers that read JSON lines.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

EXPORTS = ("none", "jsonl")
EVENTS_FILE = "events.jsonl"


def _plain(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def event_lines(record: dict[str, Any], config: dict[str, Any], history: list[dict[str, Any]]) -> list[str]:
    """The lines of events.jsonl for one run."""
    head = {"type": "run", **{k: record.get(k) for k in ("run_id", "dataset", "model", "seed", "params", "status")},
            "config": config}
    lines = [head]
    for row in history:
        step, epoch = row.get("step"), row.get("epoch")
        for name, value in row.items():
            if name in ("step", "epoch") or not isinstance(value, (int, float)):
                continue
            lines.append({"type": "scalar", "name": name, "step": step, "epoch": epoch, "value": _plain(value)})
    lines.append({"type": "summary", "metrics": {k: _plain(v) for k, v in record.get("metrics", {}).items()}})
    return [json.dumps(line, allow_nan=False, default=str) for line in lines]


def write_exports(kind: str, folder: Path, record: dict[str, Any], config: dict[str, Any],
                  history: list[dict[str, Any]]) -> list[Path]:
    """Write the exports ``kind`` asks for into a run folder (still its temporary folder: atomic with it)."""
    if kind != "jsonl":
        return []
    path = folder / EVENTS_FILE
    path.write_text("\n".join(event_lines(record, config, history)) + "\n")
    return [path]
