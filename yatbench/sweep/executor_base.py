"""What every sweep executor is: its settings (``conf/executor/<name>.yaml``) and its interface.

:class:`ExecutorConfig` holds the settings of any executor kind, :class:`Executor` is the interface
the sweep runner drives (:mod:`yatbench.sweep.runner`); the kinds are
:mod:`yatbench.sweep.executors` (in this process, and the choice among kinds),
:mod:`yatbench.sweep.local_pool` and :mod:`yatbench.sweep.submitit_executor`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from yatbench.core.errors import UserError
from yatbench.sweep.jobs import Job, RunReport

KINDS = ("inprocess", "local", "submitit")
CLUSTERS = ("slurm", "local")
# More worker processes than this per core only adds memory (each holds torch) and contention: refused.
WORKERS_PER_CORE = 4


@dataclass
class ExecutorConfig:
    """Settings of one executor (``conf/executor/<name>.yaml``); the kinds: :mod:`yatbench.sweep.executors`."""

    kind: str = "local"
    workers: int | None = None  # local / submitit_local: parallel processes; null = number of cores
    threads: int | None = None  # torch threads per worker; null = cores / workers (at least 1)
    cluster: str = "slurm"  # submitit: slurm | local
    folder: str | None = None  # submitit logs and pickles; null = <results_dir>/.submitit
    partition: str | None = None  # slurm partition; null = the cluster's default
    timeout_min: int = 60  # time limit of one array task
    gpus_per_node: int = 0
    cpus_per_task: int = 1
    mem_gb: float | None = None  # null = the cluster's default
    array_parallelism: int = 64  # slurm array tasks running at once; the grid is cut into this many jobs

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise UserError(f"executor.kind={self.kind!r} is not valid; choose one of {', '.join(KINDS)}")
        if self.cluster not in CLUSTERS:
            raise UserError(f"executor.cluster={self.cluster!r} is not valid; choose one of {', '.join(CLUSTERS)}")
        for key in ("workers", "threads", "timeout_min", "cpus_per_task", "array_parallelism"):
            value = getattr(self, key)
            if value is not None and value < 1:
                raise UserError(f"executor.{key}={value} must be >= 1")
        if self.gpus_per_node < 0:
            raise UserError(f"executor.gpus_per_node={self.gpus_per_node} must be >= 0")


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1

def worker_count(requested: int | None) -> int:
    """Worker processes on this machine: ``requested``, else one per core; above ``WORKERS_PER_CORE`` × cores refused.

    A pool never starts more workers than it has jobs either (:meth:`Executor.fit`).
    """
    available = cores()
    if requested is None:
        return available
    limit = WORKERS_PER_CORE * available
    if requested > limit:
        raise UserError(f"--workers {requested} is more than {WORKERS_PER_CORE} per CPU core; this machine has "
                        f"{available} core{'s' if available > 1 else ''}: give at most {limit} (the default is "
                        f"{available})")
    return requested


class Executor:
    """Runs a sweep's jobs and yields each job's reports as it finishes.

    ``slots`` jobs run at once; :func:`yatbench.sweep.jobs.make_jobs` cuts the grid into about
    ``jobs_per_slot × slots`` jobs, merged into at most ``max_jobs`` where that is set.
    """

    slots: int = 1
    jobs_per_slot: int = 1
    max_jobs: int | None = None
    description: str = ""

    def start(self) -> None:
        """Get ready ahead of the jobs (start worker processes); optional."""

    def close(self) -> None:
        """Release what :meth:`start` or :meth:`run` took (idempotent)."""

    def fit(self, n_jobs: int) -> None:
        """Learn how many jobs there are, once they are cut (a pool then starts no more workers than that)."""

    def run(self, jobs: list[Job], results_dir: Path) -> Iterator[tuple[Job, list[RunReport]]]:
        raise NotImplementedError
