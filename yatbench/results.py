"""The run folder: its layout, its atomic writing, and reading it back.

    results/<dataset>-<model>-s<seed>-<hash>/
        config.yaml     the normalised resolved config (what the hash is taken over)
        metrics.json    status, final metrics and run facts (device, data source, params, time)
        history.csv     one row per evaluation: epoch, step, train loss, test metrics
        model.pt        the trained weights (state_dict)
        *.png           run-level artifacts, e.g. prototypes.png for image data

A folder is complete or absent: everything is written under ``results/.partial/`` and
renamed into place in one step, so a crash or a kill never leaves half a run behind.
A complete folder is still never trusted blindly (:func:`damage`): one whose metrics.json or
config.yaml was truncated or edited is reported, moved aside to ``results/.damaged/`` and rerun.
"""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from yatbench.errors import UserError
from yatbench.identity import config_hash
from yatbench.owner import owned_name, owner_of, writer_gone
from yatbench.record import RunRecord
from yatbench.safe_paths import check_output_dir, open_dir, own_subdir, remove_entry, remove_tree

PARTIAL_DIR = ".partial"
DAMAGED_DIR = ".damaged"
# The temporary names of yatbench before 0.x recorded the owner's pid only: <run_id>.<pid>.<8 hex>[.old]
_LEGACY_PARTIAL = re.compile(r"^.+\.\d+\.[0-9a-f]{8}(?:\.old)?$")
METRICS_FILE = "metrics.json"
CONFIG_FILE = "config.yaml"


def ensure_writable(results_dir: Path, what: str = "results_dir") -> None:
    """Fail early, with one line, when run folders cannot be written under ``results_dir``.

    Creates nothing: a run that is refused or fails before its first folder leaves no trace. Also
    refused: the root, the home folder or a system folder (:func:`yatbench.safe_paths.check_output_dir`),
    and a ``.partial`` that is a link (yatbench never writes or deletes through one).
    """
    check_output_dir(results_dir, what)
    existing = results_dir
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(f"cannot write to results directory {results_dir}: {existing} is a file, not a folder", 1)
    try:  # a real probe (permissions alone do not show a read-only mount, or /proc to root)
        os.rmdir(tempfile.mkdtemp(prefix=".yatbench-probe-", dir=existing))
    except OSError as exc:
        raise UserError(f"cannot write to results directory {results_dir}: {existing} is not writable "
                        f"({exc.strerror or exc}); choose another with results_dir=PATH", 1) from None
    own_subdir(results_dir, PARTIAL_DIR)


def is_complete(run_dir: Path) -> bool:
    """A run folder counts once its metrics file is there (it is renamed in whole)."""
    return (run_dir / METRICS_FILE).is_file()


def damage(run_dir: Path) -> str | None:
    """Why the complete run folder ``run_dir`` cannot be trusted, or None when it can.

    Its metrics.json must be a valid record (:meth:`RunRecord.from_dict`) of this very run, and its
    config.yaml must hash to the run id's hash: a truncated, hand-edited or swapped file is damage.
    """
    try:
        record = RunRecord.from_dict(json.loads((run_dir / METRICS_FILE).read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError;
        # RecursionError: nesting too deep for json (e.g. 200 000 '['): damage too, said in one line
        return f"{METRICS_FILE}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    if record.run_id != run_dir.name:
        return f"{METRICS_FILE} is the record of {record.run_id}, not of this folder"
    try:
        from omegaconf import OmegaConf  # the reader of the writer (run.save_run): same floats, same nulls

        config = OmegaConf.to_container(OmegaConf.create((run_dir / CONFIG_FILE).read_text(encoding="utf-8")))
    except Exception as exc:  # unreadable, not UTF-8, not YAML: all damage
        return f"{CONFIG_FILE}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    if not isinstance(config, dict) or config_hash(config) != record.config_hash \
            or not run_dir.name.endswith(f"-{record.config_hash}"):
        return f"{CONFIG_FILE} is not the config this run was made with (its hash differs)"
    return None


def move_damaged(run_dir: Path) -> Path:
    """Move a damaged run folder aside, under ``.damaged/`` beside it (hidden from the report), never deleting it."""
    # own_subdir: a .damaged that is a link is refused, so a run folder is never moved out through it
    aside = own_subdir(run_dir.parent, DAMAGED_DIR) / f"{run_dir.name}.{uuid.uuid4().hex[:8]}"
    aside.parent.mkdir(exist_ok=True)
    os.rename(run_dir, aside)
    return aside


def write_run(results_dir: Path, run_id: str, write_contents: Callable[[Path], None],
              replace: bool = False) -> Path:
    """Write a run folder atomically: ``write_contents`` fills a temporary folder, then one rename.

    The temporary folder's name records this process (:mod:`yatbench.owner`), so a sweep can
    remove it when the process is killed. If another process finished the same run first, its
    folder is kept and ours dropped (identical config means identical result) unless ``replace``
    asks for the new one. A folder of the same name that is not a complete run is moved aside
    (``<run_id>.incomplete.<suffix>``), never deleted.
    """
    if Path(run_id).name != run_id or run_id in ("", ".", ".."):
        raise UserError(f"run id {run_id!r} is not a plain folder name", 2)
    final = results_dir / run_id
    partial = own_subdir(results_dir, PARTIAL_DIR) / owned_name(run_id)
    try:
        partial.mkdir(parents=True)
    except OSError as exc:
        raise UserError(f"cannot write to results directory {results_dir}: {exc.strerror or exc}", 1) from None
    try:
        write_contents(partial)
        if final.exists() and not is_complete(final):
            os.rename(final, results_dir / f"{run_id}.incomplete.{uuid.uuid4().hex[:8]}")
        if replace and final.exists():
            # Move the old folder aside first: the run id is never absent *and* half-written.
            retired = partial.with_name(partial.name + ".old")
            os.rename(final, retired)  # a link in the way is moved, and then removed, as a link
            remove_tree(retired)
        try:
            os.rename(partial, final)
        except OSError:
            if not is_complete(final):
                raise
            remove_tree(partial)
    except BaseException:
        remove_tree(partial)
        raise
    return final


def remove_leftovers(results_dir: Path, older_than_s: float) -> list[Path]:
    """Remove temporary run folders in ``.partial/`` whose writer is gone; return what was removed.

    Only names that yatbench makes are considered (:func:`yatbench.owner.owned_name`, or the older
    ``<run_id>.<pid>.<hex>``). One whose owner (recorded in its name) is a dead process on this host
    goes at once; one from another host sharing the folder, or with an older name, goes when untouched
    for ``older_than_s`` seconds. ``.partial`` is opened without following a link (one there is
    refused), and nothing is removed through a link.
    """
    removed = []
    with open_dir(own_subdir(results_dir, PARTIAL_DIR)) as fd:
        if fd is None:
            return []
        for name in os.listdir(fd):
            owner = owner_of(name)
            if owner is None and not _LEGACY_PARTIAL.match(name):
                continue  # not a name yatbench makes: not ours to remove
            try:
                if not writer_gone(name, lambda n=name: os.stat(n, dir_fd=fd, follow_symlinks=False).st_mtime,
                                   older_than_s):
                    continue
                remove_entry(name, fd)
                removed.append(results_dir / PARTIAL_DIR / name)
            except OSError:
                pass  # another sweep removed it first
    return removed


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
