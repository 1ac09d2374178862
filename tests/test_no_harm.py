"""No harm: nothing deleted or written through a link, no output into system folders, bounded workers,
a dead worker costs only its own job, and no temporary file outlives a failed write.

Real processes and real files throughout: links to folders holding a "victim"'s files, worker
processes killed with ``SIGKILL`` in the middle of a real job, a full tmpfs where this process may
mount one.
"""

from __future__ import annotations

import dataclasses
import errno
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from tests.test_bad_input import assert_one_line, cli
from yatbench.config.compose import compose_config
from yatbench.config.spec import validate
from yatbench.core.errors import UserError
from yatbench.core.owner import owned_name
from yatbench.core.safe_paths import atomic_write_text, system_folder
from yatbench.report.output import staged
from yatbench.run.execute import execute
from yatbench.rundir.results import PARTIAL_DIR, is_complete, remove_leftovers
from yatbench.sweep.executor_base import WORKERS_PER_CORE, ExecutorConfig, cores
from yatbench.sweep.grid import build_grid
from yatbench.sweep.jobs import FAILED_DIR, Job, _failed, remove_failure_leftovers, write_failure_record
from yatbench.sweep.local_pool import LocalPool
from yatbench.sweep.runner import run_sweep

FAST = ["dataset=xor", "model=yat", "trainer.epochs=5"]


def sweep(results: Path, *overrides: str, **options):
    console = Console(record=True, width=200, file=io.StringIO())
    result = run_sweep("default", [*overrides, f"results_dir={results}"], console=console, **options)
    result.text = console.export_text()
    return result


def victim(tmp_path: Path) -> Path:
    """A folder of someone's files, old enough for any age rule, with a sub-folder."""
    folder = tmp_path / "victim"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("precious")
    (folder / "sub" / "b.txt").write_text("precious too")
    old = time.time() - 7200
    for path in (folder / "a.txt", folder / "sub" / "b.txt", folder / "sub"):
        os.utime(path, (old, old))
    return folder


def intact(folder: Path) -> bool:
    return (folder / "a.txt").read_text() == "precious" and (folder / "sub" / "b.txt").read_text() == "precious too"


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def dead_owned(stem: str) -> str:
    return owned_name(stem).replace(f".{os.getpid()}@", f".{dead_pid()}@")


# ------------------------------------------------------------------ links: never followed when cleaning


@pytest.mark.parametrize("own", [PARTIAL_DIR, FAILED_DIR])
def test_a_linked_partial_or_failed_is_refused_and_its_target_untouched(own: str, tmp_path: Path) -> None:
    """The reported harm: a sweep emptied the folder that results/.partial linked to."""
    target = victim(tmp_path)
    results = tmp_path / "results"
    results.mkdir()
    (results / own).symlink_to(target)
    with pytest.raises(UserError, match=f"{own} is a symbolic link .* never writes or deletes through a link"):
        sweep(results, *FAST, executor="inprocess")
    assert intact(target) and sorted(p.name for p in target.iterdir()) == ["a.txt", "sub"]
    assert [p.name for p in results.iterdir()] == [own]  # nothing trained, nothing written


def test_cleaning_partial_removes_only_dead_writers_folders_and_never_enters_a_link(tmp_path: Path) -> None:
    target = victim(tmp_path)
    partial = tmp_path / "results" / PARTIAL_DIR
    partial.mkdir(parents=True)
    dead = partial / dead_owned("xor-yat-s0-aaaaaaaa")
    dead.mkdir()
    (dead / "inside").symlink_to(target)  # a link inside a leftover: unlinked, not entered
    dead_link = partial / dead_owned("xor-yat-s1-aaaaaaaa")
    dead_link.symlink_to(target)  # a link with yatbench's name: goes as a link
    mine = partial / "notes"  # not a name yatbench makes: never removed, however old
    mine.mkdir()
    os.utime(mine, (0, 0))
    removed = remove_leftovers(tmp_path / "results", older_than_s=0)
    assert sorted(removed) == sorted([dead, dead_link])
    assert intact(target) and mine.is_dir() and sorted(p.name for p in partial.iterdir()) == ["notes"]


def test_force_over_a_linked_run_folder_replaces_the_link_not_its_target(spec_for, tmp_path: Path) -> None:
    spec = spec_for("xor", "yat", "trainer.epochs=2")
    elsewhere = tmp_path / "elsewhere"
    first = execute(spec)
    first.run_dir.rename(elsewhere)  # the user keeps the run elsewhere and links it into results/
    before = {p.name: p.read_bytes() for p in elsewhere.iterdir()}
    spec.run_dir.symlink_to(elsewhere)
    assert execute(spec).skipped  # read through the link: a complete run
    execute(spec, force=True)
    assert {p.name: p.read_bytes() for p in elsewhere.iterdir()} == before
    assert not spec.run_dir.is_symlink() and is_complete(spec.run_dir)
    assert list((spec.results_dir / PARTIAL_DIR).iterdir()) == []


def test_report_out_that_is_a_link_is_refused_and_a_leftover_link_goes_as_a_link(tmp_path: Path) -> None:
    target = victim(tmp_path)
    link = tmp_path / "report"
    link.symlink_to(target)
    with pytest.raises(UserError, match="is a symbolic link"), staged(link):
        pass
    link.unlink()
    leftover = tmp_path / dead_owned(".report")
    leftover.symlink_to(target)  # a killed report's name, but a link: removed as a link
    with staged(tmp_path / "report") as work:
        (work / "index.md").write_text("new")
    assert intact(target) and sorted(p.name for p in tmp_path.iterdir()) == ["report", "victim"]


# ------------------------------------------------------------------ never into the root or system folders


@pytest.mark.parametrize("folder", ["/", "/etc", "/usr/lib/yat", "/var", "/proc", "/sys/x", "/boot", "/dev/shm/r",
                                    "/bin", "/lib64", "/run", "/usr", "/var/lib", "/home", "/usr/local/bin/r", "~"])
def test_results_dir_in_the_root_or_a_system_folder_is_refused(folder: str) -> None:
    path = str(Path.home()) if folder == "~" else folder
    with pytest.raises(UserError, match=r"root folder|system folder|home folder") as info:
        validate(compose_config([*FAST, f"results_dir={path}"]))
    assert info.value.exit_code == 2


def test_a_link_into_a_system_folder_is_refused_and_ordinary_folders_are_not(tmp_path: Path) -> None:
    (tmp_path / "etc-link").symlink_to("/etc")
    assert system_folder(tmp_path / "etc-link" / "results") == "inside the system folder /etc"
    for fine in (tmp_path / "results", Path("/var/tmp/yatbench-results"), Path("/tmp"), Path("results"),
                 Path.home() / "results", Path("/usr/src/app/results"), Path("/var/lib/jenkins/workspace/results"),
                 Path("/opt/project/results"), Path("/home/someone/results")):
        assert system_folder(fine) is None, fine


@pytest.mark.parametrize("args", [
    ["sweep", *FAST, "results_dir=/", "--executor", "inprocess"],
    ["run", "xor", "trainer.epochs=5", "results_dir=/etc"],
    ["report", "--out", "/"],
    ["bench", "--out", "/usr/share/yat", "--shapes", "8x8x8", "--repeats", "3", "--no-throughput"],
])
def test_the_commands_refuse_system_folders_in_one_line(args: list[str], tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "results").mkdir()  # for report: a results folder to read
    root_before = set(os.listdir("/"))
    code, out, err = cli(args, tmp_path, monkeypatch, capsys)
    assert_one_line(code, err, out, 2, "yatbench writes only into a folder of its own")
    assert set(os.listdir("/")) == root_before


# ------------------------------------------------------------------ bounded workers


def test_workers_above_the_limit_are_refused_in_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    code, out, err = cli(["sweep", *FAST, "--workers", "1000000"], tmp_path, monkeypatch, capsys)
    assert_one_line(code, err, out, 2, f"--workers 1000000 is more than {WORKERS_PER_CORE} per CPU core")
    assert not (tmp_path / "results").exists()


def test_a_pool_never_starts_more_workers_than_jobs(spec_for, tmp_path: Path) -> None:
    """The most workers allowed, for two jobs: two processes start, and the sweep says two."""
    pool = LocalPool(ExecutorConfig(workers=WORKERS_PER_CORE * cores()))
    specs = [spec_for("xor", model, "trainer.epochs=5") for model in ("yat", "relu")]
    jobs = [Job([spec]) for spec in specs]
    pool.fit(len(jobs))
    assert pool.slots == 2 and pool.description.startswith("on 2 local worker processes")
    seen: set[int] = set()
    try:
        for _job, reports in pool.run(jobs, tmp_path / "results"):
            seen |= {w.process.pid for w in pool.workers}
            assert len(pool.workers) <= 2 and [r.status for r in reports] == ["ok"]
    finally:
        pool.close()
    assert 1 <= len(seen) <= 2 and all(is_complete(s.run_dir) for s in specs)


# ------------------------------------------------------------------ a dead worker costs only its own job


def test_a_killed_worker_fails_only_its_unfinished_runs_and_the_sweep_goes_on(tmp_path: Path) -> None:
    results = tmp_path / "results"
    grid = ["dataset=xor", "model=yat,relu,linear,attention", "trainer.epochs=5", "seed=0", f"results_dir={results}"]
    quick, *others = build_grid("default", grid).specs
    (endless,) = build_grid("default", ["dataset=xor", "model=yat", "trainer.epochs=100000", "seed=1",
                                        f"results_dir={results}"]).specs
    doomed = Job([quick, endless])  # quick finishes, then the worker is killed inside endless
    pool = LocalPool(ExecutorConfig(workers=2, threads=1))
    killed: list[int] = []
    over = threading.Event()

    def kill_when_quick_is_done() -> None:
        deadline = time.monotonic() + 120  # past it, kill anyway: the test then fails instead of hanging
        while not killed and not over.is_set():
            worker = next((w for w in list(pool.workers) if w.job is doomed), None)
            if worker is not None and (is_complete(quick.run_dir) or time.monotonic() > deadline):
                time.sleep(0.2)  # well inside the endless run
                os.kill(worker.process.pid, signal.SIGKILL)
                killed.append(worker.process.pid)
            time.sleep(0.02)

    killer = threading.Thread(target=kill_when_quick_is_done)
    killer.start()
    reports = {}
    try:
        for _job, job_reports in pool.run([doomed, *(Job([s]) for s in others)], results):
            reports.update({r.run_id: r for r in job_reports})
            pids = {w.process.pid for w in pool.workers}
    finally:
        over.set()
        killer.join()
        pool.close()
    assert killed and killed[0] not in pids  # replaced
    assert {k: r.status for k, r in reports.items()} == {
        quick.run_id: "ok", endless.run_id: "failed", **{s.run_id: "ok" for s in others}}
    assert "died (killed by SIGKILL)" in reports[endless.run_id].message
    assert sorted(p.name for p in (results / FAILED_DIR).iterdir()) == [f"{endless.run_id}.json"]  # once, no temp
    assert list((results / PARTIAL_DIR).iterdir()) == []  # the dead worker's half-written folder went at once

    # the rerun (the endless run shortened by hand): a stale failure record of a finished run goes too
    (results / FAILED_DIR / f"{quick.run_id}.json").write_text('{"status": "failed"}')
    rerun = sweep(results, *grid[:-1], executor="inprocess")
    assert len(rerun.already_done) == 4 and not rerun.ran
    assert list((results / FAILED_DIR).iterdir()) == [results / FAILED_DIR / f"{endless.run_id}.json"]


# ------------------------------------------------------------------ no temporary file outlives a failed write


def test_stale_temporary_failure_records_are_removed_and_nothing_else(tmp_path: Path) -> None:
    target = victim(tmp_path)
    failed = tmp_path / "results" / FAILED_DIR
    failed.mkdir(parents=True)
    dead_temp = failed / dead_owned(".xor-yat-s0-aaaaaaaa.json")
    legacy_temp = failed / ".xor-yat-s1-aaaaaaaa.json.0123abcd"  # the name an older yatbench used
    legacy_link = failed / ".xor-yat-s2-aaaaaaaa.json.4567cdef"
    live_temp = failed / owned_name(".xor-yat-s3-aaaaaaaa.json")
    record = failed / "xor-yat-s4-aaaaaaaa.json"
    mine = failed / "notes.txt"
    for path in (dead_temp, legacy_temp, live_temp, record, mine):
        path.write_text("")
    legacy_link.symlink_to(target / "a.txt")
    for path in (legacy_temp, mine, record):
        os.utime(path, (0, 0))
    os.utime(legacy_link, (0, 0), follow_symlinks=False)
    assert remove_failure_leftovers(tmp_path / "results", older_than_s=600) == 3
    assert sorted(p.name for p in failed.iterdir()) == sorted([live_temp.name, record.name, mine.name])
    assert intact(target)


def test_a_failed_write_removes_its_temporary_file(tmp_path: Path) -> None:
    """The real write fails after the temporary file exists (text that cannot be encoded); the file goes."""
    folder = tmp_path / "results" / FAILED_DIR
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(folder, "run.json", '{"message": "\ud800"}')
    assert list(folder.iterdir()) == []
    atomic_write_text(folder, "run.json", "{}")
    assert [p.name for p in folder.iterdir()] == ["run.json"]


@pytest.fixture
def full_disk(tmp_path: Path):
    """A 64 KiB tmpfs, filled; skipped where this process may not mount one (not root, no CAP_SYS_ADMIN)."""
    mount = tmp_path / "full"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        (mount / "results" / FAILED_DIR).mkdir(parents=True)
        with open(mount / "filler", "wb", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\0" * 4096)
            except OSError:
                pass
        yield mount / "results"
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


def test_failure_records_on_a_full_disk_leave_no_temporary_files(spec_for, full_disk: Path) -> None:
    specs = [dataclasses.replace(spec_for("xor", "yat", f"seed={seed}"), results_dir=full_disk) for seed in range(5)]
    with pytest.raises(OSError) as info:
        write_failure_record(full_disk, {"run_id": specs[0].run_id, "status": "failed", "message": "x" * 9000})
    assert info.value.errno == errno.ENOSPC
    reports = [_failed(spec, "Traceback ...\nRuntimeError: boom\n" + "x" * 9000) for spec in specs]
    assert [r.status for r in reports] == ["failed"] * 5  # the sweep still hears of each failure
    assert list((full_disk / FAILED_DIR).iterdir()) == []
