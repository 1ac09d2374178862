"""The ``slurm`` and ``submitit_local`` executors: submitit job arrays, on SLURM or as local processes.

The local form runs the identical code path as SLURM, and is what the tests use. submitit is an
optional dependency (``pip install 'yatbench[slurm]'``), imported only when this executor is chosen.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from yatbench.core.errors import UserError
from yatbench.core.safe_paths import check_output_dir
from yatbench.sweep.executor_base import Executor, ExecutorConfig, cores, worker_count
from yatbench.sweep.jobs import Job, RunReport, failed_reports, run_job


class Submitit(Executor):
    """submitit job arrays: SLURM (``cluster: slurm``) or local processes (``cluster: local``)."""

    poll_s = 0.5

    def __init__(self, cfg: ExecutorConfig) -> None:
        try:
            import submitit  # noqa: F401
        except ImportError:
            raise UserError("the submitit executor needs the submitit package: pip install 'yatbench[slurm]'") from None
        self.cfg = cfg
        if cfg.cluster == "slurm" and not (shutil.which("sbatch") and shutil.which("srun")):
            raise UserError("the slurm executor needs a SLURM cluster, but sbatch/srun are not on PATH "
                            "(--executor submitit_local runs the same path on this machine)")
        if cfg.cluster == "local":  # submitit starts every local job at once: one job per worker
            self.slots = worker_count(cfg.workers)
            self.threads = cfg.threads or max(1, cores() // self.slots)
            self.max_jobs: int | None = self.slots
        else:  # SLURM runs array_parallelism tasks at once and queues the rest
            self.slots = cfg.array_parallelism
            self.threads = cfg.threads or cfg.cpus_per_task
            self.max_jobs = None
        where = "SLURM" + (f" partition {cfg.partition}" if cfg.partition else "") if cfg.cluster == "slurm" \
            else "local processes"
        self.description = f"through submitit on {where} (up to {self.slots} at once)"

    def _executor(self, folder: Path) -> Any:
        import submitit

        cfg = self.cfg
        executor = submitit.AutoExecutor(folder=str(folder), cluster=cfg.cluster)
        params: dict[str, Any] = {"timeout_min": cfg.timeout_min, "gpus_per_node": cfg.gpus_per_node,
                                  "cpus_per_task": cfg.cpus_per_task, "name": "yatbench-sweep",
                                  "slurm_array_parallelism": cfg.array_parallelism}
        if cfg.mem_gb is not None:
            params["mem_gb"] = cfg.mem_gb
        if cfg.partition:
            params["slurm_partition"] = cfg.partition
        executor.update_parameters(**params)
        return executor

    def run(self, jobs: list[Job], results_dir: Path) -> Iterator[tuple[Job, list[RunReport]]]:
        """Submit the jobs as one array (logs in ``folder``, else ``<results_dir>/.submitit``), then poll."""
        if not jobs:
            return
        folder = Path(self.cfg.folder) if self.cfg.folder else results_dir / ".submitit"
        jobs = [replace(job, threads=self.threads) for job in jobs]
        check_output_dir(folder, "executor.folder")
        submitted_at = time.time()
        try:
            submitted = self._executor(folder).map_array(run_job, jobs)
        except Exception as exc:  # sbatch refused (partition, limits), folder not writable, ...
            reason = str(exc).strip().splitlines()
            raise UserError(f"submitit could not submit the jobs: {reason[-1] if reason else exc!r}", 1) from None
        pending = dict(zip(submitted, jobs, strict=True))
        try:
            while pending:
                finished = [s for s in pending if s.done()]
                if not finished:
                    time.sleep(self.poll_s)
                for array_task in finished:
                    job = pending.pop(array_task)
                    try:
                        yield job, array_task.result()
                    except Exception as exc:  # the task died, timed out or could not start
                        reason = str(exc).strip().splitlines()
                        yield job, failed_reports(job, f"submitit job {array_task.job_id} failed: "
                                                       f"{reason[-1] if reason else type(exc).__name__}",
                                                  since=submitted_at)
        finally:
            for array_task in pending:
                array_task.cancel(check=False)
