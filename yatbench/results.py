"""The run folder: its layout, its atomic writing, and reading it back.

    results/<dataset>-<model>-s<seed>-<hash>/
        config.yaml     the normalised resolved config (what the hash is taken over)
        metrics.json    status, final metrics and run facts (device, data source, params, time)
        history.csv     one row per evaluation: epoch, step, train loss, test metrics
        model.pt        the trained weights (state_dict)
        *.png           run-level artifacts, e.g. prototypes.png for image data

A folder is complete or absent: everything is written under ``results/.partial/`` and
renamed into place in one step, so a crash or a kill never leaves half a run behind.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from yatbench.errors import UserError

PARTIAL_DIR = ".partial"
METRICS_FILE = "metrics.json"


def ensure_writable(results_dir: Path) -> None:
    """Fail early, with one line, when run folders cannot be written under ``results_dir``."""
    try:
        (results_dir / PARTIAL_DIR).mkdir(parents=True, exist_ok=True)
        probe = results_dir / PARTIAL_DIR / f".probe-{uuid.uuid4().hex}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"cannot write to results directory {results_dir}: {exc.strerror or exc}", 1) from None


def is_complete(run_dir: Path) -> bool:
    """A run folder counts once its metrics file is there (it is renamed in whole)."""
    return (run_dir / METRICS_FILE).is_file()


def write_run(results_dir: Path, run_id: str, write_contents: Callable[[Path], None],
              replace: bool = False) -> Path:
    """Write a run folder atomically: ``write_contents`` fills a temporary folder, then one rename.

    If another process finished the same run first, its folder is kept and ours dropped
    (identical config means identical result) unless ``replace`` asks for the new one.
    """
    final = results_dir / run_id
    partial = results_dir / PARTIAL_DIR / f"{run_id}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    partial.mkdir(parents=True)
    try:
        write_contents(partial)
        if replace and final.exists():
            # Move the old folder aside first: the run id is never absent *and* half-written.
            retired = partial.with_name(partial.name + ".old")
            os.rename(final, retired)
            shutil.rmtree(retired, ignore_errors=True)
        try:
            os.rename(partial, final)
        except OSError:
            if not is_complete(final):
                raise
            shutil.rmtree(partial, ignore_errors=True)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def write_history(path: Path, rows: list[dict[str, Any]]) -> None:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def read_metrics(run_dir: Path) -> dict[str, Any]:
    """The metrics record of one complete run folder."""
    return json.loads((run_dir / METRICS_FILE).read_text())


def iter_run_dirs(results_dir: Path) -> Iterator[Path]:
    """Every complete run folder directly under ``results_dir``, in name order."""
    if not results_dir.is_dir():
        return
    for child in sorted(results_dir.iterdir()):
        if child.is_dir() and not child.name.startswith(".") and is_complete(child):
            yield child
