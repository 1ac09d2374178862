"""Run a sweep: expand and validate the grid, skip what is done, execute the rest, sum up.

Nothing runs before the whole grid is validated and the executor is ready, so bad input is one
line and exit 2. A complete run folder is never redone (unless ``force``), which makes a sweep
resumable: kill it at any moment and the same command finishes the rest. Run folders appear
atomically (see :mod:`yatbench.rundir.results`), so two sweeps on one results folder may at worst
both train a run, and the second finisher's copy is dropped.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console

from yatbench.config.spec import RunSpec
from yatbench.core.errors import Interrupted, UserError
from yatbench.core.safe_paths import own_subdir
from yatbench.run.known import completed_outcome, update_finished
from yatbench.rundir.results import ensure_writable, is_complete, remove_leftovers
from yatbench.sweep.executor_base import Executor, ExecutorConfig
from yatbench.sweep.executors import load_executor_config, make_executor
from yatbench.sweep.grid import Preset, build_grid, load_preset, parse_overrides
from yatbench.sweep.jobs import (
    FAILED_DIR,
    RunReport,
    clear_failure_records,
    make_jobs,
    remove_failure_leftovers,
)
from yatbench.sweep.summary import SweepResult, print_comparison, print_failures, print_plan, print_summary

EXECUTOR_PREFIX = "executor."
STALE_PARTIAL_S = 600.0  # age after which another host's temporary run folder counts as left over
MESSAGES_SHOWN = 5  # lines about finished runs a sweep updated (tags, exports) before it sums up the rest


def split_executor_overrides(overrides: list[str]) -> tuple[list[str], list[str]]:
    """``executor.KEY=VALUE`` settings apart from the run overrides."""
    settings = [o for o in overrides if o.startswith(EXECUTOR_PREFIX)]
    return [o for o in overrides if not o.startswith(EXECUTOR_PREFIX)], settings


def executor_config(preset: Preset, name: str | None, settings: list[str], workers: int | None,
                    user_dir: str | Path | None) -> ExecutorConfig:
    """``--executor`` > the preset's ``executor:`` > ``local``; then the preset's, the command line's settings."""
    from omegaconf import OmegaConf

    block = preset.executor
    preset_name = block if isinstance(block, str) else (block or {}).get("name")
    chosen = name or preset_name or "local"
    merged: dict[str, Any] = {}
    if isinstance(block, dict) and chosen == preset_name:
        merged.update({k: v for k, v in block.items() if k != "name"})
    for key, values in parse_overrides(settings, "executor settings").items():
        if len(values) != 1:
            raise UserError(f"{key} takes one value, not a sweep ({','.join(values)})")
        merged.update(OmegaConf.to_container(OmegaConf.from_dotlist([f"{key}={values[0]}"]))["executor"])
    if workers is not None:
        merged["workers"] = workers
    cfg = load_executor_config(chosen, merged, user_dir)
    if workers is not None and cfg.kind == "inprocess":
        raise UserError(f"--workers sets a pool size, but executor {chosen!r} runs everything in this process")
    return cfg


def previous_report(record: dict[str, Any]) -> RunReport:
    """What an earlier sweep left for a run that is already complete."""
    status = record.get("status", "ok")
    message = f"diverged at epoch {record.get('diverged_epoch')} (earlier sweep)" if status == "diverged" else ""
    return RunReport(record["run_id"], status, True, message, record)


def run_sweep(preset: str, overrides: list[str], *, force: bool = False, dry_run: bool = False,
              executor: str | None = None, workers: int | None = None,
              user_dir: str | Path | None = None, console: Console | None = None,
              verbose: bool = False) -> SweepResult:
    """Expand, validate, resume and execute a sweep; print its plan, progress and summary."""
    started = time.perf_counter()
    # A pipe or a file gets 160 columns (readable logs) unless COLUMNS says otherwise, as a terminal does.
    wide = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    console = console or Console(highlight=False, soft_wrap=True, width=160 if wide else None)
    run_overrides, settings = split_executor_overrides(overrides)
    chosen = load_preset(preset, user_dir)
    pool = make_executor(executor_config(chosen, executor, settings, workers, user_dir))
    todo: list[RunSpec] = []  # the runs this sweep set out to do: an interruption counts those now complete
    try:
        if not dry_run:
            pool.start()  # worker processes import torch while the grid is composed here
        result = _sweep(chosen, run_overrides, pool, force, dry_run, user_dir, console, todo, verbose)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM turned into Interrupted by the CLI
        for number in (signal.SIGINT, signal.SIGTERM):  # a second signal must not cut the clean-up short
            signal.signal(number, signal.SIG_IGN)
        pool.close()  # stop and wait for the workers before saying anything
        kept = sum(is_complete(spec.run_dir) for spec in todo)
        what = exc.message if isinstance(exc, Interrupted) else "interrupted"
        raise Interrupted(f"{what}; {kept} runs finished are kept; run the same command to resume",
                          getattr(exc, "exit_code", 130)) from None
    finally:
        pool.close()
    result.wall_s = time.perf_counter() - started
    if result.ran:
        print_summary(console, result)
    print_failures(console, result.failures)
    print_comparison(console, [*result.already_done, *result.ran], result.grid.specs)
    return result


def _sweep(preset: Preset, overrides: list[str], pool: Executor, force: bool, dry_run: bool,
           user_dir: str | Path | None, console: Console, todo: list[RunSpec],
           verbose: bool = False) -> SweepResult:

    grid = build_grid(preset, overrides, user_dir)
    result = SweepResult(grid, pool.description)
    messages: list[str] = []  # tags added to, exports written into finished runs
    done_by_dir: dict[Path, list[str]] = {}
    for spec in grid.specs:
        done = completed_outcome(spec, force)
        if done is not None:
            result.already_done.append(previous_report(done.record))
            if not dry_run:
                messages += update_finished(spec, done).messages
            done_by_dir.setdefault(spec.results_dir, []).append(spec.run_id)
        else:
            todo.append(spec)
    for line in messages[:MESSAGES_SHOWN]:
        console.print(line)
    if len(messages) > MESSAGES_SHOWN:
        console.print(f"… and {len(messages) - MESSAGES_SHOWN} more finished runs updated the same way")
    groups = len({s.seedless_key for s in grid.specs})
    console.print(f"sweep [bold]{preset.name}[/]: {len(grid.specs)} runs ({groups} configurations × seeds), "
                  f"{len(result.already_done)} already done, {len(todo)} to run"
                  + (" (--force: rerunning all)" if force else ""))
    if dry_run:
        print_plan(console, grid.specs, {r.run_id for r in result.already_done}, verbose)
        console.print(f"dry run: would run {len(todo)} runs {pool.description}; nothing was run")
        return result
    for folder, run_ids in done_by_dir.items():  # a finished run keeps no failure record (e.g. its worker died late)
        clear_failure_records(folder, run_ids)
    if not todo:
        return result
    results_dirs = list(dict.fromkeys(spec.results_dir for spec in todo))
    for folder in results_dirs:
        ensure_writable(folder)  # also refuses a system folder, and a .partial that is a link
        own_subdir(folder, FAILED_DIR)  # and a .failed that is a link: nothing is written or deleted through it
        remove_leftovers(folder, STALE_PARTIAL_S)  # temporary run folders of killed runs
        remove_failure_leftovers(folder, STALE_PARTIAL_S)  # temporary failure records of killed or full-disk writes
    jobs = make_jobs(todo, pool.slots, force, pool.jobs_per_slot, pool.max_jobs)
    pool.fit(len(jobs))
    result.executor = pool.description
    console.print(f"running {len(jobs)} jobs {pool.description}")
    with progress(len(todo), preset.name) as advance:
        for _job, reports in pool.run(jobs, results_dirs[0]):
            result.ran.extend(reports)
            advance(len(reports), sum(r.status != "ok" for r in result.ran))
    return result


@contextmanager
def progress(total: int, label: str) -> Iterator[Callable[[int, int], None]]:
    """An overall bar (done / total, failures, ETA) on stderr; silent when stderr is not a terminal."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda n, failures: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("sweep {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("[red]{task.fields[failures]}"), TimeElapsedColumn(), TextColumn("eta"),
                  TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task(label, total=total, failures="")
        yield lambda n, failures: bar.update(task, advance=n, failures=f"{failures} failed" if failures else "")
