"""Never lose a result, never write outside results/, never leave workers behind.

Real parts throughout: real run folders, the real report, real sweeps in real processes that
are sent SIGTERM, SIGINT or SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import registry
from yatbench.config.compose import compose_config
from yatbench.config.spec import validate
from yatbench.core.errors import UserError
from yatbench.core.owner import owned_name
from yatbench.report import build_report
from yatbench.report.output import MARKER, staged
from yatbench.run.execute import execute
from yatbench.rundir.results import PARTIAL_DIR, remove_leftovers, write_run

# ------------------------------------------------------------------ report --out


def _tiny_results(spec_for) -> Path:
    spec = spec_for("xor", "yat", "trainer.epochs=2")
    execute(spec)
    return spec.results_dir


def test_report_replaces_only_its_own_earlier_report(spec_for, tmp_path: Path) -> None:
    results = _tiny_results(spec_for)
    first = build_report(results)
    marker = json.loads((first.out_dir / MARKER).read_text())
    assert "index.html" in marker["files"] and (first.out_dir / "index.html").is_file()
    second = build_report(results)  # an earlier report is replaced whole
    assert second.out_dir == first.out_dir and second.index_html.is_file()
    assert all(fig.path.parent == second.out_dir and fig.path.is_file() for fig in second.figures)
    (second.out_dir / "my-notes.txt").write_text("mine")
    with pytest.raises(UserError, match=r"also holds my-notes\.txt, which yatbench did not write"):
        build_report(results)
    assert (second.out_dir / "my-notes.txt").read_text() == "mine"
    assert (second.out_dir / "index.html").is_file()
    assert not [p for p in results.iterdir() if p.name.startswith(".report.")]  # no temporary folder left


def test_report_out_never_deletes_a_results_folder(spec_for, tmp_path: Path) -> None:
    results = _tiny_results(spec_for)
    runs = sorted(p.name for p in results.iterdir())
    with pytest.raises(UserError, match="not a yatbench report") as info:
        build_report(results, results)
    assert info.value.exit_code == 2
    assert sorted(p.name for p in results.iterdir()) == runs


def test_a_report_that_fails_part_way_leaves_the_previous_one(tmp_path: Path) -> None:
    out = tmp_path / "report"
    with staged(out) as work:
        (work / "index.html").write_text("old")
    with pytest.raises(RuntimeError), staged(out) as work:
        (work / "index.html").write_text("half")
        raise RuntimeError("crash while drawing a figure")
    assert (out / "index.html").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_a_killed_report_leaves_the_previous_one_and_its_leftover_is_removed(tmp_path: Path) -> None:
    out = tmp_path / "report"
    with staged(out) as work:
        (work / "index.html").write_text("old")
    # a report process killed mid-way: its temporary folder, named for a process that is gone
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    leftover = tmp_path / owned_name(".report").replace(f".{os.getpid()}@", f".{child.pid}@")
    leftover.mkdir()
    (leftover / "index.md").write_text("half")
    assert (out / "index.html").read_text() == "old"
    with staged(out) as work:
        (work / "index.html").write_text("new")
    assert (out / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


# ------------------------------------------------------------------ run folders stay inside results_dir

HOSTILE = ["../../escape", "/abs/path", "a/b", "..", ".", ".hidden", "-rf", "a\\b", "x" * 65, "a b", "é", ""]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("key", ["dataset.name", "model.name"])
def test_no_name_can_place_a_run_outside_results_dir(key: str, value: str, tmp_path: Path) -> None:
    """Names come from config files too: whatever value reaches the spec, the run id refuses it."""
    spec = validate(compose_config([f"results_dir={tmp_path / 'results'}", "trainer.epochs=1"]))
    group = getattr(spec, key.split(".")[0])
    group.name = value  # as if a config file had chosen it
    with pytest.raises(UserError, match="cannot name a run folder"):
        _ = spec.run_id


def test_every_run_folder_lands_directly_in_results_dir(tmp_path: Path) -> None:
    results = (tmp_path / "results").resolve()
    for dataset in registry.datasets():
        for model in registry.models():
            cfg = compose_config([f"dataset={dataset}", f"model={model}", f"results_dir={results}"])
            for seed in (0, 4294967295):
                cfg.seed = seed  # composed once per pair: a seed changes only the run id
                spec = validate(cfg)
                assert (results / spec.run_id).resolve().parent == results
                assert spec.run_dir == results / spec.run_id


def test_write_run_refuses_a_run_id_that_is_a_path(tmp_path: Path) -> None:
    for run_id in ("../x", "a/b", "..", ""):
        with pytest.raises(UserError):
            write_run(tmp_path, run_id, lambda folder: None)
    assert list(tmp_path.iterdir()) == []


def test_an_incomplete_folder_in_the_way_is_moved_aside_not_lost(spec_for) -> None:
    spec = spec_for("xor", "yat", "trainer.epochs=2")
    spec.run_dir.mkdir(parents=True)
    (spec.run_dir / "notes.txt").write_text("mine")  # no metrics.json: not a complete run
    outcome = execute(spec)
    assert (outcome.run_dir / "metrics.json").is_file()
    (aside,) = [p for p in spec.results_dir.iterdir() if p.name.startswith(f"{spec.run_id}.incomplete.")]
    assert (aside / "notes.txt").read_text() == "mine"


# ------------------------------------------------------------------ leftovers in .partial/


def test_leftovers_of_dead_processes_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    partial = tmp_path / PARTIAL_DIR
    partial.mkdir()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    dead = partial / owned_name("xor-yat-s0-aaaaaaaa").replace(f".{os.getpid()}@", f".{child.pid}@")
    alive = partial / owned_name("xor-yat-s1-aaaaaaaa")
    other_host_new = partial / f"xor-yat-s2-aaaaaaaa.{child.pid}@elsewhere.0123abcd"
    old_style = partial / "xor-yat-s3-aaaaaaaa.123.0123abcd"
    for folder in (dead, alive, other_host_new, old_style):
        folder.mkdir()
    two_hours_ago = time.time() - 7200
    os.utime(old_style, (two_hours_ago, two_hours_ago))
    removed = remove_leftovers(tmp_path, older_than_s=600)
    assert sorted(removed) == sorted([dead, old_style])
    assert alive.is_dir() and other_host_new.is_dir()


# ------------------------------------------------------------------ --config-dir overrides a built-in


def test_config_dir_overrides_a_builtin_file_of_the_same_name(tmp_path: Path) -> None:
    conf = tmp_path / "myconf" / "dataset"
    conf.mkdir(parents=True)
    (conf / "xor.yaml").write_text("_target_: yatbench.data.xor.XorConfig\nname: xor\nnoise: 0.3\n")
    ours = validate(compose_config(["dataset=xor"], tmp_path / "myconf"))
    builtin = validate(compose_config(["dataset=xor"]))
    assert ours.dataset.noise == 0.3 and builtin.dataset.noise == 0.0
    assert ours.run_id != builtin.run_id


# ------------------------------------------------------------------ signals: stop cleanly, leave no worker


def _session_processes(session: int) -> list[int]:
    """Live (non-zombie) processes of a session: the sweep, its fork server, workers, resource tracker."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] not in ("Z", "X"):
            pids.append(int(entry.name))
    return pids


def _folders(results: Path) -> dict[str, float]:
    if not results.is_dir():
        return {}
    return {p.name: p.stat().st_mtime for p in results.iterdir() if not p.name.startswith(".")}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process sessions from /proc")
@pytest.mark.parametrize(("sig", "executor", "code", "message"), [
    (signal.SIGTERM, ["--workers", "2"], 143, "terminated; "),
    (signal.SIGKILL, ["--workers", "2"], -9, None),
    (signal.SIGINT, ["--executor", "inprocess"], 130, "interrupted; "),  # Ctrl-C's message; no pool to wait for
])
def test_a_signalled_sweep_leaves_no_process_and_writes_nothing_after(sig: int, executor: list[str], code: int,
                                                                     message: str | None, tmp_path: Path) -> None:
    results = tmp_path / "results"
    command = [sys.executable, "-m", "yatbench", "sweep", "xor", "model=yat", "seed=range(300)",
               "trainer.epochs=300", "trainer.seed_batching=off", *executor, f"results_dir={results}"]
    sweep = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)  # its own session: every process it starts is findable
    try:
        deadline = time.time() + 240
        while not _folders(results) and time.time() < deadline and sweep.poll() is None:
            time.sleep(0.2)
        assert _folders(results), "the sweep wrote no run folder in time"
        assert sweep.poll() is None, "the sweep finished before it could be signalled"
        if "--workers" in executor:
            assert len(_session_processes(sweep.pid)) >= 3  # the sweep, its fork server, workers
        os.kill(sweep.pid, sig)  # the sweep's PID alone, as SLURM and CI do
        _, err = sweep.communicate(timeout=60)
        assert sweep.returncode == code, err
        written = _folders(results)
        if message is not None:
            lines = err.strip().splitlines()
            assert len(lines) == 1, err
            assert lines[0] == f"{message}{len(written)} runs finished are kept; run the same command to resume"
        time.sleep(5)
        assert _session_processes(sweep.pid) == []
        assert _folders(results) == written  # no folder written (or rewritten) after the sweep stopped
    finally:
        for pid in _session_processes(sweep.pid):
            os.kill(pid, signal.SIGKILL)
