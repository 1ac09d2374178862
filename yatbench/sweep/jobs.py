"""Jobs: the runs a worker gets in one call, and running them so that one failure stays one failure.

Grouping seeds is the sweep's job: runs that differ only by their seed (equal
``RunSpec.seedless_key``) form a group, and :func:`execute_grouped` hands each group's pending,
distinct seeds to :func:`yatbench.run.execute.execute_seeds`, which trains them together when their
configuration trains stacked (``yatbench/train/trainer.py``) — a run's numbers are the same alone and in
any group. ``trainer.seed_batching=off`` keeps every run alone. Big groups are cut into chunks so
that every worker stays busy. :func:`run_job` is what executes in a worker process
(or in-process, or in a SLURM task): it never raises for a failing run. It catches the error,
writes ``<results>/.failed/<run_id>.json`` (not a run folder, so the run is retried by the
next sweep) and reports the run as ``failed`` with its message. A run that completes removes its
failure record; a failure record is written atomically and never leaves its temporary file behind
(:func:`yatbench.core.safe_paths.atomic_write_text`), and :func:`remove_failure_leftovers` removes those
of writers that were killed.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yatbench.config.spec import RunSpec
from yatbench.core.errors import UserError
from yatbench.core.owner import owner_of, writer_gone
from yatbench.core.safe_paths import atomic_write_text, open_dir, own_subdir, unlink_names
from yatbench.rundir.results import METRICS_FILE, is_complete, read_metrics

if TYPE_CHECKING:
    from yatbench.run.execute import RunOutcome

FAILED_DIR = ".failed"
# Temporary names of failure records: owned (.<run_id>.json.<pid>@<host>.<hex>), or the older .<run_id>.json.<hex>
_LEGACY_TEMPORARY = re.compile(r"^\..+\.json\.[0-9a-f]{8}$")


@dataclass
class RunReport:
    """What the sweep learns about one run: its status, and its metrics record when it finished."""

    run_id: str
    status: str  # ok | diverged | failed
    skipped: bool = False
    message: str = ""
    record: dict[str, Any] = field(default_factory=dict)


@dataclass
class Job:
    """A list of runs for one worker call (all from one group of seeds, or one run)."""

    specs: list[RunSpec]
    force: bool = False
    threads: int | None = None  # torch threads to use, where the process has not set them already

    @property
    def run_ids(self) -> list[str]:
        return [spec.run_id for spec in self.specs]


def make_jobs(specs: list[RunSpec], slots: int, force: bool = False, jobs_per_slot: int = 4,
              max_jobs: int | None = None) -> list[Job]:
    """Group runs by ``RunSpec.seedless_key``, and cut groups so there are about ``jobs_per_slot × slots`` jobs.

    Groups larger than ``len(specs) / (jobs_per_slot × slots)`` runs are cut into equal chunks of
    about that size; smaller groups stay whole, so cheap runs that can be trained together (XOR's
    hundred seeds) are, and parallel workers still have enough jobs to stay busy. ``max_jobs``
    merges jobs (whole groups stay together) where each job costs a process start.
    """
    groups: dict[str, list[RunSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.seedless_key, []).append(spec)
    size = max(1, math.ceil(len(specs) / max(1, slots * jobs_per_slot)))
    jobs = []
    for group in groups.values():
        n_chunks = math.ceil(len(group) / size)
        per_chunk = math.ceil(len(group) / n_chunks)
        jobs.extend(Job(group[i:i + per_chunk], force) for i in range(0, len(group), per_chunk))
    return jobs if max_jobs is None or len(jobs) <= max_jobs else pack_jobs(jobs, max_jobs)


def pack_jobs(jobs: list[Job], max_jobs: int) -> list[Job]:
    """Merge jobs into ``max_jobs`` of about equal run counts (largest first into the smallest)."""
    bins: list[list[RunSpec]] = [[] for _ in range(max_jobs)]
    for job in sorted(jobs, key=lambda j: len(j.specs), reverse=True):
        min(bins, key=len).extend(job.specs)
    return [Job(specs, jobs[0].force) for specs in bins if specs]


def execute_grouped(specs: list[RunSpec], force: bool = False) -> list[RunOutcome]:
    """Run ``specs`` (outcomes in their order): completed runs are skipped, the pending distinct seeds of
    each configuration are trained by one :func:`yatbench.run.execute.execute_seeds` call (alone when
    ``trainer.seed_batching=off``)."""
    # Lazy: yatbench.run.execute imports torch, which the sweep's main process should import only after its
    # worker pool has started (see sweep/runner.py); workers have it preloaded.
    from yatbench.run.execute import completed_outcome, execute, execute_seeds, update_finished

    outcomes: dict[int, RunOutcome] = {}
    groups: dict[str, list[int]] = {}
    for index, spec in enumerate(specs):
        done = completed_outcome(spec, force)
        if done is not None:
            outcomes[index] = update_finished(spec, done)  # finished by another sweep meanwhile
        else:
            key = spec.seedless_key if spec.trainer.seed_batching == "auto" else f"alone:{index}"
            groups.setdefault(key, []).append(index)
    for members in groups.values():
        seen: set[int] = set()
        batch = [i for i in members if not (specs[i].seed in seen or seen.add(specs[i].seed))]
        outcomes.update(zip(batch, execute_seeds([specs[i] for i in batch], force), strict=True))
        for index in members:  # a seed listed twice: done by now
            if index not in outcomes:
                outcomes[index] = execute(specs[index])
    return [outcomes[i] for i in range(len(specs))]


def run_job(job: Job) -> list[RunReport]:
    """Run one job's specs through :func:`execute_grouped`; a failing run is reported, never raised.

    If the group as a whole raises, its runs are retried one by one, so that one bad run does not
    take its group with it (runs the group already finished are not run again).
    """
    if job.threads:
        import torch

        torch.set_num_threads(job.threads)
    started = time.time()
    try:
        return [_report(outcome) for outcome in execute_grouped(job.specs, force=job.force)]
    except Exception:
        if len(job.specs) == 1:
            return [_failed(job.specs[0], traceback.format_exc())]
    reports = []
    for spec in job.specs:
        force = job.force and not _finished_since(spec, started)
        try:
            (outcome,) = execute_grouped([spec], force=force)
            reports.append(_report(outcome))
        except Exception:
            reports.append(_failed(spec, traceback.format_exc()))
    return reports


def _finished_since(spec: RunSpec, started: float) -> bool:
    metrics = spec.results_dir / spec.run_id / METRICS_FILE
    return metrics.is_file() and metrics.stat().st_mtime >= started


def _report(outcome: RunOutcome) -> RunReport:
    record = outcome.record
    # The run has a complete folder now (ok or diverged): an older failure record is out of date.
    clear_failure_records(outcome.run_dir.parent, [record["run_id"]])
    message = f"diverged at epoch {record.get('diverged_epoch')}" if record.get("status") == "diverged" else ""
    return RunReport(record["run_id"], record.get("status", "ok"), outcome.skipped, message, record)


def _failed(spec: RunSpec, trace: str) -> RunReport:
    """Record a run that raised: last line of its traceback as the message, whole trace on disk."""
    lines = [line for line in trace.strip().splitlines() if line.strip()]
    message = lines[-1] if lines else "unknown error"
    if message.startswith("yatbench.core.errors.UserError: "):
        message = message.removeprefix("yatbench.core.errors.UserError: ")
    record = {"run_id": spec.run_id, "status": "failed", "dataset": spec.dataset.name, "model": spec.model.name,
              "seed": spec.seed, "message": message, "traceback": trace, "host": platform.node(),
              "pid": os.getpid(), "failed_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    try:
        write_failure_record(spec.results_dir, record)
    except (OSError, UserError):
        pass  # a full disk, a link refused: the report still carries the failure to the sweep
    return RunReport(spec.run_id, "failed", False, message, {k: v for k, v in record.items() if k != "traceback"})


def failure_record_path(results_dir: Path, run_id: str) -> Path:
    """``<results>/.failed/<run_id>.json``: why the last attempt at a run failed."""
    return results_dir / FAILED_DIR / f"{run_id}.json"


def write_failure_record(results_dir: Path, record: dict[str, Any]) -> None:
    """Write the failure record atomically (owned temporary name, then rename; the temporary goes on failure)."""
    atomic_write_text(results_dir / FAILED_DIR, f"{record['run_id']}.json", json.dumps(record, indent=2, default=str)
                      + "\n")


def clear_failure_records(results_dir: Path, run_ids: list[str]) -> int:
    """Remove the failure records of ``run_ids`` (runs that are complete now); how many there were.

    Never raises: a record that cannot be removed is out of date but harmless, and a ``.failed``
    that is a link was refused before the sweep began (nothing is removed through it).
    """
    try:
        with open_dir(results_dir / FAILED_DIR) as fd:
            if fd is None:
                return 0
            present = set(os.listdir(fd))
        return unlink_names(results_dir / FAILED_DIR, [n for n in (f"{r}.json" for r in run_ids) if n in present])
    except Exception:  # a UserError for a link, or any OSError: the record just stays
        return 0


def remove_failure_leftovers(results_dir: Path, older_than_s: float) -> int:
    """Remove temporary failure-record files whose writer is gone (killed, or its disk was full); how many.

    Only names that yatbench makes for them count; ``.failed`` is opened without following a
    link (a link there is refused with one line), and entries are unlinked, never followed.
    """
    stale = []
    with open_dir(own_subdir(results_dir, FAILED_DIR)) as fd:
        if fd is None:
            return 0
        for name in os.listdir(fd):
            owner = owner_of(name)
            ours = owner is not None and owner.stem.startswith(".") and owner.stem.endswith(".json")
            if not ours and not _LEGACY_TEMPORARY.match(name):
                continue  # not a name yatbench makes for a failure record
            try:
                if writer_gone(name, lambda n=name: os.stat(n, dir_fd=fd, follow_symlinks=False).st_mtime,
                               older_than_s):
                    stale.append(name)
            except OSError:
                pass
    return unlink_names(results_dir / FAILED_DIR, stale)


def failed_reports(job: Job, message: str, since: float | None = None) -> list[RunReport]:
    """Reports for every run of a job whose worker died or could not be reached.

    Runs that the worker completed before it died are reported from their folders (a run folder is
    complete or absent): only the others are failures, recorded once each. With ``--force`` a run
    counts as completed only when its folder was written after ``since`` (when the job was sent).
    """
    reports = []
    for spec in job.specs:
        done = since is not None and _finished_since(spec, since) if job.force else is_complete(spec.run_dir)
        if done:
            try:
                record = read_metrics(spec.run_dir)
            except (OSError, ValueError):
                reports.append(_failed(spec, message))
                continue
            clear_failure_records(spec.results_dir, [spec.run_id])
            status = record.get("status", "ok")
            note = f"diverged at epoch {record.get('diverged_epoch')}" if status == "diverged" else ""
            reports.append(RunReport(spec.run_id, status, False, note, record))
        else:
            reports.append(_failed(spec, message))
    return reports
