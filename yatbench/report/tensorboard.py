"""``yatbench export --tensorboard DIR``: the runs of a results folder as TensorBoard event files.

Written from what the runs recorded (history.csv, metrics.json, config.yaml), never from a
training loop, with tensorboard's own event writer and HParams summaries (no TensorFlow needed)::

    DIR/events.out.tfevents.*             the HParams experiment: every config key that is set (hparams,
                                          with the values the runs took) and every final metric
    DIR/<run id>/events.out.tfevents.*    one TensorBoard run per run folder: the scalar history
                                          (train_loss, test_accuracy, … by training step), the final
                                          metrics as ``final/<metric>`` and the run's hparams

Each run's hparams are its configuration's dataset, model and dotted config keys (``trainer.lr``,
``model.hidden``; the seed is left out), with the configuration's seedless key as its session
group, so TensorBoard's HParams dashboard shows one row per configuration with its seeds pooled.

``DIR`` must be new or empty (TensorBoard reads every event file under it, so a second export into
the same folder would draw every curve twice). Nothing outside ``DIR`` is written and nothing is
deleted: the files are written into a temporary folder inside ``DIR`` and moved into place at the end.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yatbench.core.errors import UserError
from yatbench.core.owner import owned_name
from yatbench.core.safe_paths import check_output_dir, remove_tree
from yatbench.report.load import RunTable, config_columns, load_runs
from yatbench.report.subset import Condition, apply_where
from yatbench.rundir.export import read_history_rows

FINAL = "final/"  # prefix of the final-metric tags the HParams table reads


@dataclass
class TensorBoardExport:
    """What an export wrote: the folder, its runs, and the hparams and metrics of its HParams table."""

    out_dir: Path
    runs: list[str] = field(default_factory=list)
    hparams: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    configurations: int = 0
    notes: list[str] = field(default_factory=list)  # runs whose history could not be read (their scalars left out)


def check_out_dir(out_dir: Path, results_dir: Path) -> None:
    """Refuse, in one line, a target that is a file, a link, not empty, the root, a system folder
    (:func:`yatbench.core.safe_paths.check_output_dir`) or the results folder itself."""
    resolved = out_dir.expanduser().resolve()
    if resolved == Path(resolved.anchor) or resolved == Path.home().resolve():
        raise UserError(f"--tensorboard {out_dir} is {resolved}; give a new or empty folder for the event files")
    check_output_dir(out_dir, "--tensorboard")
    if out_dir.is_symlink():  # as report --out: the event files go into the folder named, never through a link
        raise UserError(f"--tensorboard {out_dir} is a symbolic link (to {os.readlink(out_dir)}); give the folder "
                        "itself")
    if resolved == results_dir.expanduser().resolve():
        raise UserError(f"--tensorboard {out_dir} is the results folder; give a new or empty folder, e.g. "
                        f"{out_dir / 'tensorboard'}")
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--tensorboard {out_dir} is a file; give a new or empty folder for the event files")
    if out_dir.is_dir():
        try:
            present = sorted(p.name for p in out_dir.iterdir())
        except OSError as exc:
            raise UserError(f"cannot read --tensorboard {out_dir}: {exc.strerror or exc}", 1) from None
        if present:
            raise UserError(f"--tensorboard {out_dir} is not empty ({', '.join(present[:3])}"
                            f"{' …' if len(present) > 3 else ''}); TensorBoard reads every event file under it, "
                            "so give a new or empty folder")


def _plain(value: Any) -> bool | float | str | None:
    """A recorded value as an HParams value: bool, float or text; None for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return str(value)


def hparam_values(table: RunTable) -> dict[str, dict[str, bool | float | str]]:
    """Run id → its hparams: dataset, model, the config keys that are set, tags; one type per key
    (a key holding numbers for some runs and text for others is text for all)."""
    runs = table.runs
    keys = ["dataset", "model", *config_columns(runs), *(["tags"] if runs["tags"].astype(bool).any() else [])]
    values = {str(row["run_id"]): {k: _plain(row[k]) for k in keys} for _, row in runs.iterrows()}
    for key in keys:
        kinds = {type(v) for run in values.values() if (v := run[key]) is not None}
        if len(kinds) > 1:
            for run in values.values():
                if run[key] is not None:
                    run[key] = str(run[key])
    return {run_id: {k: v for k, v in hp.items() if v is not None} for run_id, hp in values.items()}


def final_metrics(table: RunTable, run_id: str) -> dict[str, float]:
    """The run's numeric final metrics (bools as 0/1), by name."""
    out = {}
    for name, value in table.records[run_id].metrics.items():
        if isinstance(value, (bool, int, float)) and math.isfinite(float(value)):
            out[name] = float(value)
    return out


def _scalar_event(tag: str, value: float, step: int, wall_time: float) -> Any:
    from tensorboard.compat.proto import event_pb2, summary_pb2

    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
    return event_pb2.Event(wall_time=wall_time, step=step, summary=summary)


def _write_run(folder: Path, table: RunTable, run_id: str, hparams: dict[str, Any], group: str) -> str:
    """Write one run's events; a note when its history could not be read (its final metrics are still written)."""
    from tensorboard.compat.proto import event_pb2
    from tensorboard.plugins.hparams import summary_v2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    wall = time.time()
    writer = EventFileWriter(str(folder))
    try:
        writer.add_event(event_pb2.Event(wall_time=wall, step=0,
                                         summary=summary_v2.hparams_pb(hparams, trial_id=group)))
        last = 0
        history = table.run_dir(run_id) / "history.csv"
        said = ""
        try:
            rows = read_history_rows(history) if history.is_file() else []
        except ValueError as exc:  # over the size limit or unreadable: no scalar history for this run
            rows, said = [], f"{run_id}: history left out: {exc}"
        for index, row in enumerate(rows):
            step = row.get("step", row.get("epoch", index))
            step = int(step) if isinstance(step, (int, float)) and math.isfinite(step) else index
            last = max(last, step)
            for name, value in row.items():
                if name not in ("step", "epoch") and isinstance(value, (int, float)) and math.isfinite(value):
                    writer.add_event(_scalar_event(name, float(value), step, wall))
        for name, value in final_metrics(table, run_id).items():
            writer.add_event(_scalar_event(FINAL + name, value, last, wall))
    finally:
        writer.close()
    return said


def _write_experiment(folder: Path, hparams: dict[str, dict[str, Any]], metrics: list[str]) -> None:
    from tensorboard.compat.proto import event_pb2
    from tensorboard.plugins.hparams import summary_v2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    infos = []
    for key in sorted({k for hp in hparams.values() for k in hp}):
        seen = sorted({hp[key] for hp in hparams.values() if key in hp}, key=lambda v: (str(type(v)), v))
        infos.append(summary_v2.HParam(key, summary_v2.Discrete(seen)))
    config = summary_v2.hparams_config_pb(infos, [summary_v2.Metric(FINAL + m, display_name=m) for m in metrics])
    writer = EventFileWriter(str(folder))
    try:
        writer.add_event(event_pb2.Event(wall_time=time.time(), step=0, summary=config))
    finally:
        writer.close()


def export_tensorboard(results_dir: Path, out_dir: Path, where: list[Condition] | None = None) -> TensorBoardExport:
    """Write the event files of every run under ``results_dir`` (those matching ``where``) into ``out_dir``."""
    check_out_dir(out_dir, results_dir)
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise UserError("yatbench export --tensorboard needs the tensorboard package (not TensorFlow): "
                        "pip install tensorboard", 1) from None
    if not results_dir.is_dir():
        raise UserError(f"results directory {results_dir} does not exist; run `yatbench sweep` first "
                        "(or pass --results-dir)")
    table = apply_where(load_runs(results_dir), where or [])
    if table.empty:
        raise UserError(f"no complete runs under {results_dir} to export")
    hparams = hparam_values(table)
    metrics = sorted({m for run_id in hparams for m in final_metrics(table, run_id)})
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / owned_name(".yatbench-export")
    staging.mkdir()
    notes = []
    try:
        for _, row in table.runs.iterrows():
            run_id = str(row["run_id"])
            if said := _write_run(staging / run_id, table, run_id, hparams[run_id], str(row["variant"])):
                notes.append(said)
        _write_experiment(staging, hparams, metrics)
        for item in sorted(staging.iterdir()):
            os.rename(item, out_dir / item.name)
        staging.rmdir()
    except BaseException:
        remove_tree(staging)  # only what this export wrote, never following a link inside it
        raise
    return TensorBoardExport(out_dir, list(hparams), sorted({k for hp in hparams.values() for k in hp}), metrics,
                             table.runs["variant"].nunique(), notes)
