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

This module loads the settings and picks the kind; the settings and the interface are
:mod:`yatbench.sweep.executor_base`, the kinds :mod:`yatbench.sweep.local_pool` and
:mod:`yatbench.sweep.submitit_executor` (in this process: :class:`InProcess`, below).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from yatbench.config.compose import search_dirs
from yatbench.core.errors import UserError
from yatbench.sweep.executor_base import Executor, ExecutorConfig
from yatbench.sweep.jobs import Job, RunReport, run_job
from yatbench.sweep.local_pool import LocalPool
from yatbench.sweep.submitit_executor import Submitit


def executor_names(user_dir: str | Path | None = None) -> list[str]:
    """The executors on the config search path (``conf/executor/*.yaml``, a user's folder first)."""
    return sorted({p.stem for d in search_dirs(user_dir) for p in (d / "executor").glob("*.yaml")})


def load_executor_config(name: str, settings: dict[str, Any] | None = None,
                         user_dir: str | Path | None = None) -> ExecutorConfig:
    """``conf/executor/<name>.yaml`` with ``settings`` on top, validated into an ExecutorConfig."""
    from omegaconf import OmegaConf

    from yatbench.config.spec import build_node

    path = next((d / "executor" / f"{name}.yaml" for d in search_dirs(user_dir)
                 if (d / "executor" / f"{name}.yaml").is_file()), None)
    if path is None:
        raise UserError(f"unknown executor {name!r}; valid choices: {', '.join(executor_names(user_dir))}")
    node = OmegaConf.merge(OmegaConf.load(path), OmegaConf.create(settings or {}))
    return build_node(node, "executor")


class InProcess(Executor):
    """Every job in this process, one after another."""

    def __init__(self, cfg: ExecutorConfig) -> None:
        self.description = "in this process"

    def run(self, jobs: list[Job], results_dir: Path) -> Iterator[tuple[Job, list[RunReport]]]:
        for job in jobs:
            yield job, run_job(job)


def make_executor(cfg: ExecutorConfig) -> Executor:
    """The executor object for validated settings (fails now, with one line, if submitit is missing)."""
    if cfg.kind == "inprocess":
        return InProcess(cfg)
    if cfg.kind == "local":
        return LocalPool(cfg)
    return Submitit(cfg)
