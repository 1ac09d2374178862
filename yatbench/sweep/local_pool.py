"""The ``local`` executor: a pool of worker processes on this machine, reused for many jobs.

Workers are forked from a fork server that has imported torch (spawned where there is none), set
torch to ``threads`` threads (by default cores / workers), and die with the sweep process, even
when it is killed with ``kill -9``. There are never more workers than jobs, nor more than
:data:`yatbench.sweep.executor_base.WORKERS_PER_CORE` per core (more is refused).

Each worker has its own pipe and runs one job at a time, so the pool knows which job a worker
had when it dies (killed, out of memory): that job's unfinished runs are recorded as failed,
once, its finished runs are kept, a new worker takes its place and the other jobs go on.
(``concurrent.futures.ProcessPoolExecutor`` cannot do this: one dead worker breaks the whole
pool and fails every pending job.)
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from yatbench.core.errors import UserError
from yatbench.core.owner import pid_alive
from yatbench.rundir.results import remove_leftovers
from yatbench.sweep.executor_base import Executor, ExecutorConfig, cores, worker_count
from yatbench.sweep.jobs import Job, RunReport, failed_reports, remove_failure_leftovers, run_job

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

    import yatbench.run.execute  # noqa: F401

    torch.set_num_threads(threads)


# Imported once by the fork server, so that every worker forked from it starts with them loaded.
PRELOAD = ["torch", "yatbench.run.execute", "yatbench.data", "matplotlib.pyplot"]


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


def _serve(conn: Connection, threads: int, sweep_pid: int) -> None:
    """A worker's life: take a job from the pipe, run it, send its reports back; ``None`` or a closed pipe ends it."""
    _init_worker(threads, sweep_pid)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            reply: tuple[str, Any] = ("done", run_job(job))
        except Exception as exc:  # run_job reports failing runs itself: this is the job machinery failing
            reply = ("error", f"{type(exc).__name__}: {exc}")
        conn.send(reply)


class Worker:
    """One worker process, the parent's end of its pipe, and the job it is running (None when idle)."""

    def __init__(self, context: Any, threads: int, sweep_pid: int) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, threads, sweep_pid), name="yatbench-worker")
        self.process.start()
        child.close()
        self.job: Job | None = None
        self.sent_at = 0.0

    def send(self, job: Job) -> None:
        self.sent_at = time.time()
        self.conn.send(job)
        self.job = job

    def reply(self) -> tuple[str, Any] | None:
        """The worker's answer, or None when it died without one."""
        try:
            return self.conn.recv() if self.conn.poll() else None
        except (EOFError, OSError):
            return None

    def death(self) -> str:
        """Why the process ended, in words (after it has ended)."""
        self.process.join(timeout=5)
        code = self.process.exitcode
        if code is not None and code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit code {code}"

    def stop(self, wait_s: float) -> None:
        """End the process: asked to (idle), or terminated (busy); killed if it does not go within ``wait_s``."""
        if self.process.is_alive():
            try:
                if self.job is None:
                    self.conn.send(None)
                else:
                    self.process.terminate()
            except OSError:
                self.process.terminate()
        self.process.join(timeout=wait_s)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class LocalPool(Executor):
    """A pool of worker processes on this machine, reused across jobs; a dead worker is replaced."""

    jobs_per_slot = 4

    def __init__(self, cfg: ExecutorConfig) -> None:
        self.slots = worker_count(cfg.workers)
        self.threads = cfg.threads or max(1, cores() // self.slots)
        self._describe()
        self.context: Any = None
        self.workers: list[Worker] = []
        self.starter: threading.Thread | None = None
        self.start_error: BaseException | None = None

    def _describe(self) -> None:
        self.description = f"on {self.slots} local worker process{'es' if self.slots > 1 else ''} ({self.threads} " \
                           f"torch thread{'s' if self.threads > 1 else ''} each)"

    def fit(self, n_jobs: int) -> None:
        """Never more workers than jobs."""
        self.slots = max(1, min(self.slots, n_jobs))
        self._describe()

    def start(self) -> None:
        """Start one worker now, off the main thread: the fork server's import of torch then overlaps the
        composing of the grid; the other workers fork from the ready server in milliseconds, once jobs need them."""
        if self.context is None:
            self.context = worker_context()
            self.starter = threading.Thread(target=self._start_first, daemon=True)
            self.starter.start()

    def _start_first(self) -> None:
        try:
            self.workers.append(Worker(self.context, self.threads, os.getpid()))
        except Exception as exc:  # reported, with its reason, when the jobs are handed out
            self.start_error = exc

    def _new_worker(self) -> Worker:
        try:
            worker = Worker(self.context, self.threads, os.getpid())
        except Exception as exc:
            raise UserError(f"the local worker processes could not start ({exc}); try --executor inprocess", 1) \
                from None
        self.workers.append(worker)
        return worker

    def close(self) -> None:
        if self.starter is not None:
            self.starter.join()
            self.starter = None
        for worker in self.workers:
            if worker.job is not None and worker.process.is_alive():
                worker.process.terminate()  # all at once, then wait for each
        for worker in self.workers:
            worker.stop(wait_s=5.0)
        self.workers = []
        self.context = None

    def run(self, jobs: list[Job], results_dir: Path) -> Iterator[tuple[Job, list[RunReport]]]:
        self.start()
        assert self.starter is not None
        self.starter.join()
        if self.start_error is not None and not self.workers:
            raise UserError(f"the local worker processes could not start ({self.start_error}); "
                            f"try --executor inprocess", 1)
        queue = deque(jobs)
        completed = False
        try:
            while queue or any(w.job is not None for w in self.workers):
                self._hand_out(queue)
                busy = [w for w in self.workers if w.job is not None]
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
                for worker in busy:
                    if worker.conn not in ready and worker.process.sentinel not in ready:
                        continue
                    job, answer = worker.job, worker.reply()
                    assert job is not None
                    worker.job = None
                    if answer is None:
                        yield job, self._lost(worker, job)
                    elif answer[0] == "done":
                        yield job, answer[1]
                    else:
                        yield job, failed_reports(job, f"worker process failed: {answer[1]}", since=worker.sent_at)
            completed = True
        finally:
            if not completed:  # interrupted: stop the workers now rather than after their current jobs
                self.close()

    def _hand_out(self, queue: deque[Job]) -> None:
        """Idle workers take the next jobs; new workers start while jobs wait, up to ``slots``."""
        for worker in list(self.workers):
            if not queue:
                return
            if worker.job is None:
                if not worker.process.is_alive():
                    self._retire(worker)
                    continue
                job = queue.popleft()
                try:
                    worker.send(job)
                except OSError:  # it died between its last answer and now: the job goes to another
                    queue.appendleft(job)
                    self._retire(worker)
        while queue and len(self.workers) < self.slots:
            self._new_worker().send(queue.popleft())

    def _retire(self, worker: Worker) -> None:
        self.workers.remove(worker)
        worker.job = None
        worker.stop(wait_s=1.0)

    def _lost(self, worker: Worker, job: Job) -> list[RunReport]:
        """A worker died on ``job``: its finished runs are kept, the others fail once; its temporary files go."""
        reason = worker.death()
        pid = worker.process.pid
        self.workers.remove(worker)
        worker.conn.close()
        for folder in dict.fromkeys(spec.results_dir for spec in job.specs):
            try:  # only what the dead worker left: an infinite age spares other hosts' and live processes'
                remove_leftovers(folder, float("inf"))
                remove_failure_leftovers(folder, float("inf"))
            except (OSError, UserError):
                pass
        return failed_reports(job, f"worker process {pid} died ({reason}); the next sweep retries this run",
                              since=worker.sent_at)
