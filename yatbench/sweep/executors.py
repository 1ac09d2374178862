"""Where a sweep's jobs run: in this process, on local worker processes, or through submitit.

The choice is a config file, ``conf/executor/<name>.yaml`` (a user's config folder may add
more), picked by ``--executor NAME``, else the preset's ``executor:``, else ``local``; single
settings change with ``executor.KEY=VALUE`` on the command line (``--workers N`` for the pool
size). Executor settings decide how runs execute, never what they compute: they are not part
of any run id.

- ``inprocess``: one job after another in this process (debugging, tiny grids).
- ``local``: a pool of worker processes on this machine (forked from a fork server that has
  imported torch, or spawned where there is none; reused for many jobs; each sets torch to
  ``threads`` threads, by default cores / workers).
- ``slurm`` / ``submitit_local``: submitit job arrays, on a SLURM cluster or as local
  processes. The local form runs the identical code path, and is what the tests use.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from yatbench.compose import search_dirs
from yatbench.errors import UserError
from yatbench.owner import pid_alive
from yatbench.sweep.jobs import Job, RunReport, failed_reports, run_job

KINDS = ("inprocess", "local", "submitit")
CLUSTERS = ("slurm", "local")


@dataclass
class ExecutorConfig:
    """Settings of one executor (``conf/executor/<name>.yaml``); see the module docstring."""

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


def executor_names(user_dir: str | Path | None = None) -> list[str]:
    return sorted({p.stem for d in search_dirs(user_dir) for p in (d / "executor").glob("*.yaml")})


def load_executor_config(name: str, settings: dict[str, Any] | None = None,
                         user_dir: str | Path | None = None) -> ExecutorConfig:
    """``conf/executor/<name>.yaml`` with ``settings`` on top, validated into an ExecutorConfig."""
    from omegaconf import OmegaConf

    from yatbench.config import build_node

    path = next((d / "executor" / f"{name}.yaml" for d in search_dirs(user_dir)
                 if (d / "executor" / f"{name}.yaml").is_file()), None)
    if path is None:
        raise UserError(f"unknown executor {name!r}; valid choices: {', '.join(executor_names(user_dir))}")
    node = OmegaConf.merge(OmegaConf.load(path), OmegaConf.create(settings or {}))
    return build_node(node, "executor")


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

    def run(self, jobs: list[Job], results_dir: Path) -> Iterator[tuple[Job, list[RunReport]]]:
        raise NotImplementedError


class InProcess(Executor):
    """Every job in this process, one after another."""

    def __init__(self, cfg: ExecutorConfig) -> None:
        self.description = "in this process"

    def run(self, jobs: list[Job], results_dir: Path) -> Iterator[tuple[Job, list[RunReport]]]:
        for job in jobs:
            yield job, run_job(job)


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_S = 0.5


def die_with(sweep_pid: int) -> None:
    """End this worker when the sweep process ends, even by ``kill -9`` (no orphan keeps training).

    A worker's parent is the fork server, not the sweep, and the fork server stays alive while
    workers hold its pipe: so a daemon thread watches the sweep's process id, and on Linux the
    kernel also kills the worker if its parent dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``).
    """
    import signal

    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # no usable libc: the watch below still ends the worker

    def watch() -> None:
        while pid_alive(sweep_pid):
            time.sleep(WATCH_S)
        os._exit(1)

    threading.Thread(target=watch, name="sweep-watch", daemon=True).start()


def _init_worker(threads: int, sweep_pid: int) -> None:
    """Pool worker start: die with the sweep, set torch's threads, import the run code once."""
    import signal

    die_with(sweep_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the sweep's to handle: it stops the pool
    import torch

    import yatbench.run  # noqa: F401

    torch.set_num_threads(threads)


# Imported once by the fork server, so that every worker forked from it starts with them loaded.
PRELOAD = ["torch", "yatbench.run", "yatbench.data", "matplotlib.pyplot"]


def worker_context() -> multiprocessing.context.BaseContext:
    """``forkserver`` with torch preloaded where the platform has it, else ``spawn``.

    Plain ``fork`` of the sweep process is unsafe once torch has started threads; the fork server
    is a fresh process that imports torch but runs nothing, so forking it is safe, and each
    worker then starts in milliseconds instead of importing torch again.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        os.environ.setdefault("MPLBACKEND", "Agg")  # workers only write PNG files; the server inherits this
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def _ready() -> None:
    """A no-op task: submitting one per worker makes the pool start its processes now."""


class LocalPool(Executor):
    """A pool of worker processes on this machine, reused across jobs."""

    jobs_per_slot = 4

    def __init__(self, cfg: ExecutorConfig) -> None:
        self.slots = cfg.workers or cores()
        self.threads = cfg.threads or max(1, cores() // self.slots)
        self.description = f"on {self.slots} local worker processes ({self.threads} torch thread"\
                           f"{'s' if self.threads > 1 else ''} each)"
        self.pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(max_workers=self.slots, mp_context=worker_context(),
                                            initializer=_init_worker, initargs=(self.threads, os.getpid()))
            # Starting a worker waits for the fork server to finish its imports: do it off the main
            # thread, which meanwhile composes the grid (submit is thread-safe).
            self.starter = threading.Thread(target=self._start_workers, args=(self.pool,), daemon=True)
            self.starter.start()

    def _start_workers(self, pool: ProcessPoolExecutor) -> None:
        try:
            for _ in range(self.slots):
                pool.submit(_ready)
        except Exception:
            pass  # a pool that cannot start fails again, with its reason, when the jobs are submitted

    def close(self) -> None:
        if self.pool is not None:
            self.starter.join()
            for process in list((getattr(self.pool, "_processes", None) or {}).values()):
                if process.is_alive():
                    process.terminate()
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def run(self, jobs: list[Job], results_dir: Path) -> Iterator[tuple[Job, list[RunReport]]]:
        self.start()
        assert self.pool is not None
        try:
            pending: dict[Future[list[RunReport]], Job] = {self.pool.submit(run_job, job): job for job in jobs}
        except BrokenProcessPool as exc:
            raise UserError(f"the local worker processes could not start ({exc}); "
                            f"try --executor inprocess", 1) from None
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    job = pending.pop(future)
                    try:
                        yield job, future.result()
                    except Exception as exc:  # the worker process died (killed, out of memory)
                        yield job, failed_reports(job, f"worker process failed: {type(exc).__name__}: {exc}")
        finally:
            if pending:  # interrupted: stop the workers now rather than after their current jobs
                self.close()


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
            self.slots = cfg.workers or cores()
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
                                                       f"{reason[-1] if reason else type(exc).__name__}")
        finally:
            for array_task in pending:
                array_task.cancel(check=False)


def make_executor(cfg: ExecutorConfig) -> Executor:
    """The executor object for validated settings (fails now, with one line, if submitit is missing)."""
    if cfg.kind == "inprocess":
        return InProcess(cfg)
    if cfg.kind == "local":
        return LocalPool(cfg)
    return Submitit(cfg)
