"""The ``local`` executor: a pool of worker processes on this machine, reused for many jobs.

Workers are forked from a fork server that has imported torch (spawned where there is none), set
torch to ``threads`` threads (by default cores / workers), and die with the sweep process, even
when it is killed with ``kill -9``.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from yatbench.errors import UserError
from yatbench.owner import pid_alive
from yatbench.sweep.executor_base import Executor, ExecutorConfig, cores
from yatbench.sweep.jobs import Job, RunReport, failed_reports, run_job

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
