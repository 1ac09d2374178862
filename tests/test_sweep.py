"""Sweeps on real configs, shrunk: grids, bad input, resume, kills, concurrency, failures, executors."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from tests import registry
from yatbench.config.compose import compose_config
from yatbench.config.spec import validate
from yatbench.core.errors import UserError
from yatbench.rundir.results import PARTIAL_DIR, is_complete
from yatbench.sweep.grid import build_grid, load_preset, with_seed
from yatbench.sweep.jobs import FAILED_DIR, make_jobs
from yatbench.sweep.params import NoSizeKnob, param_count, size_knob, spec_param_count, within_budget
from yatbench.sweep.runner import executor_config, run_sweep

SMALL = ["trainer.epochs=20"]  # XOR / compositional runs of a few milliseconds


def sweep(tmp_path: Path, preset: str, *overrides: str, **options):
    """run_sweep with results under tmp_path, its printout kept in a string."""
    console = Console(record=True, width=200, file=io.StringIO())
    result = run_sweep(preset, [*overrides, f"results_dir={tmp_path / 'results'}"], console=console, **options)
    result.text = console.export_text()
    return result


def run_folders(results: Path) -> list[Path]:
    return sorted(p for p in results.iterdir() if not p.name.startswith(".")) if results.exists() else []


def yatbench(*args: str, cwd: Path, **kwargs) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "yatbench", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


# --- the grid -------------------------------------------------------------------------------------


def test_presets_expand_to_their_documented_sizes() -> None:
    default = build_grid("default", [])
    assert len(default.specs) == 60
    assert {(s.dataset.name, s.model.name) for s in default.specs} == {
        (d, m) for d in ("xor", "compositional", "inversion") for m in ("linear", "relu", "attention", "yat")}
    assert len({s.seedless_key for s in default.specs}) == 12
    assert all(s.trainer.progress is False for s in default.specs)
    assert len(build_grid("param_budget", []).specs) == 125
    paper = build_grid("paper", [])
    # (yat, square, distance, yat with ε learned, yat without bias, linear) × 3 preprocessings × 5 seeds
    assert len(paper.specs) == 90
    assert {(s.trainer.epochs, s.trainer.lr, s.trainer.batch_size) for s in paper.specs} == {(300, 0.001, 64)}
    assert {s.dataset.preprocess for s in paper.specs} == {"none", "center", "standardize"}
    assert {s.model.kernel for s in paper.specs if s.model.name == "yat"} == {"yat", "square", "distance"}
    assert len(build_grid("xor", []).specs) == 1800  # 9 models × 2 encodings × 100 seeds
    assert {s.model.readout for s in paper.specs if s.model.name == "yat"} == {"none"}
    pinn, tuned = build_grid("pinn", []), build_grid("pinn_tuned", [])
    assert len(pinn.specs) == 80  # 4 problems × 4 models × 5 seeds, one 3×20 size
    assert len(tuned.specs) == 120  # 4 problems × (3 yat ε + 3 tanh lr trials) × 5 seeds: equal effort
    assert {s.model.epsilon for s in pinn.specs if s.model.name == "yat"} == {1e-5}  # no tuning
    assert {s.model.epsilon for s in tuned.specs if s.model.name == "yat"} == {1e-5, 1e-3, 0.1}
    assert {s.trainer.lr for s in tuned.specs if s.model.name == "tanh"} == {1e-4, 1e-3, 1e-2}
    assert {(s.dataset.name, s.dataset.lbfgs_steps) for s in pinn.specs} == {  # Adam, then L-BFGS
        ("poisson1d", 1000), ("burgers", 1000), ("poisson2d", 8000), ("poisson1d_multiscale", 4000)}


def test_xor_preset_and_narrowing_seeds_on_the_command_line() -> None:
    grid = build_grid("xor", ["seed=range(20)"])
    assert len(grid.specs) == 9 * 2 * 20  # yat × 3 kernels, relu × 4 widths, linear on raw and on sum_product inputs
    assert {s.seed for s in grid.specs} == set(range(20))
    assert {s.dataset.encoding for s in grid.specs} == {"pm1", "binary"}
    widths = {tuple(s.model.hidden) for s in grid.specs if s.model.name == "relu"}
    assert widths == {(1,), (2,), (4,), (16,)}
    assert {tuple(s.model.hidden) for s in grid.specs if s.model.name == "yat"} == {(1,)}
    assert {s.model.kernel for s in grid.specs if s.model.name == "yat"} == {"yat", "square", "distance"}


def test_group_choices_select_points_and_keep_their_tied_sizes() -> None:
    grid = build_grid("default", ["dataset=xor,compositional", "model=yat,relu", "seed=0,1"])
    assert len(grid.specs) == 2 * 2 * 2
    assert {tuple(s.model.hidden) for s in grid.specs} == {(7,)}  # the preset's matched sizes, not the defaults


def test_other_keys_replace_where_set_or_add_an_axis() -> None:
    grid = build_grid("default", ["dataset=inversion", "dataset.source=auto", "trainer.lr=0.1,0.01", "seed=0"])
    assert {s.dataset.source for s in grid.specs} == {"auto"}
    assert len(grid.specs) == 4 * 2 and {s.trainer.lr for s in grid.specs} == {0.1, 0.01}
    hidden = build_grid("xor", ["model.hidden=[32]", "seed=0", "dataset.encoding=pm1"])
    assert sorted((s.model.name, tuple(getattr(s.model, "hidden", ()))) for s in hidden.specs) == [
        ("linear", ()), ("linear", ()), ("relu", (32,)), ("yat", (32,)), ("yat", (32,)), ("yat", (32,))]


def test_a_user_preset_shadows_and_uses_glob_and_choice(tmp_path: Path) -> None:
    (tmp_path / "sweep").mkdir()
    (tmp_path / "sweep" / "mine.yaml").write_text(
        "# My grid.\naxes:\n  dataset: xor\n  seed: choice(3,4)\ngrid:\n  - {model: 'glob(*,exclude=attention)'}\n")
    grid = build_grid("mine", [], tmp_path)
    models = [m for m in registry.models() if m != "attention"]
    assert {(s.model.name, s.seed) for s in grid.specs} == {(m, s) for m in models for s in (3, 4)}
    assert load_preset("mine", tmp_path).description == "My grid."


def test_seeds_set_on_a_validated_spec_equal_validating_each_seed() -> None:
    for dataset, model in [("xor", "yat"), ("compositional", "attention"), ("inversion", "relu")]:
        cfg = compose_config([f"dataset={dataset}", f"model={model}", "trainer.progress=false"])
        base = validate(cfg)
        cfg.seed = 7
        direct = validate(cfg)
        derived = with_seed(base, 7)
        assert derived.run_id == direct.run_id and derived.resolved == direct.resolved
        assert derived.model == direct.model and derived.dataset == direct.dataset and base.seed == 0


def test_jobs_keep_seed_groups_together_and_cut_big_ones() -> None:
    specs = build_grid("default", []).specs
    jobs = make_jobs(specs, slots=2)
    assert len(jobs) == 12 and all(len({s.seedless_key for s in job.specs}) == 1 for job in jobs)
    xor = build_grid("xor", ["seed=range(100)", "dataset.encoding=pm1", "model=relu"]).specs  # 400 runs, 4 groups
    jobs = make_jobs(xor, slots=2)
    assert sum(len(job.specs) for job in jobs) == 400 and len(jobs) >= 8
    assert min(len(job.specs) for job in jobs) >= 40  # balanced chunks of about 400 / (4 × 2) runs
    assert all(len({s.seedless_key for s in job.specs}) == 1 for job in jobs)


def assert_budgets_met(preset: str, user_dir: str | Path | None = None, unmatched_ok: bool = False) -> int:
    """Every entry of ``preset`` with a ``budget:`` is within 5% of it, and every entry without one is a model
    whose config declares no size knob (unless ``unmatched_ok``); returns how many entries were matched."""
    grid = load_preset(preset, user_dir)
    fixed = [f"{k}={v[0]}" for k, v in grid.axes.items() if len(v) == 1 and k != "seed"]
    budgeted = 0
    for entry in grid.entries:
        point = [*fixed, *(f"{k}={v[0]}" for k, v in entry.axes.items())]
        if entry.budget is None:  # only a model whose config declares no size knob may go unmatched
            if not unmatched_ok:
                with pytest.raises(NoSizeKnob):
                    size_knob(entry.axes["model"][0], [o for o in point if not o.startswith("model=")], user_dir)
            continue
        params = param_count(point, user_dir)
        assert within_budget(params, entry.budget), f"{point}: {params} params, budget {entry.budget}"
        budgeted += 1
    return budgeted


@pytest.mark.parametrize("preset", ["default", "param_budget", "paper", "pinn", "pinn_tuned"])
def test_matched_models_are_within_five_percent_of_their_budget(preset: str) -> None:
    budgeted = assert_budgets_met(preset, unmatched_ok=preset == "paper")
    assert budgeted >= {"paper": 0, "pinn": 6, "pinn_tuned": 4}.get(preset, 9)


def test_paper_preset_models_match_each_other() -> None:
    # The preset is the one place its sizes are stated: read them there (one per model and kernel).
    specs = build_grid("paper", ["seed=0", "dataset.preprocess=none", "dataset.source=bundled"]).specs
    counts = {(s.model.name, getattr(s.model, "kernel", ""), getattr(s.model, "epsilon", ""),
               getattr(s.model, "bias", "")): spec_param_count(s) for s in specs}
    yat = counts[("yat", "yat", 1e-5, "inside")]
    assert len(counts) == 6 and yat - counts[("linear", "", "", "")] == 1  # α: 7851 beside 7850
    assert counts[("yat", "yat", "learnable", "inside")] - yat == 1  # one learned ε
    assert yat - counts[("yat", "yat", 1e-5, "none")] == 10  # the seeds' formula: no bias per prototype
    assert len({n for (_, _, eps, bias), n in counts.items() if eps != "learnable" and bias != "none"}) == 2


def test_the_dry_run_shows_each_configurations_parameter_count(tmp_path: Path) -> None:
    dry = sweep(tmp_path, "default", "dataset=xor", "seed=0", dry_run=True)
    assert "dataset: xor" in dry.text  # one dataset: named in the title instead of on every row
    rows = {line.split("│")[1].strip(): line.split("│")[3].strip() for line in dry.text.splitlines()
            if line.startswith("│") and line.count("│") == 7}
    expected = {s.model.name: str(spec_param_count(s)) for s in build_grid("default", ["dataset=xor"]).specs}
    assert rows == expected and rows["linear"] == "3"  # 2 inputs × 1 logit + 1 bias


# --- bad input: one line, exit 2, nothing run -----------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "overrides", "message"),
    [
        ("nope", [], "unknown sweep preset 'nope'; valid choices: claims, default, paper, param_budget, pinn, "
                     "pinn_tuned, xor"),
        ("xor", ["model=yta"], "unknown model 'yta'; valid choices: attention, linear, relu, sin, tanh, yat"),
        ("default", ["dataset=mnist"], "dataset=mnist is not in the grid of sweep preset 'default'"),
        ("default", ["seed=range("], "malformed override 'seed=range('"),
        ("default", ["trainer.lr=interval(0,1)"], "interval() is continuous"),
        ("default", ["trainer.epochs=x"], "trainer.epochs='x' is not a valid integer"),
        ("default", ["trainer.nope=3"], "unknown config key 'trainer.nope'"),
        ("default", ["seed=-1"], "seed=-1 is out of range"),
        ("default", ["executor.workers=0"], "executor.workers=0 must be >= 1"),
        ("default", ["executor.wrkers=2"], "unknown key 'executor.wrkers'"),
    ],
)
def test_bad_input_fails_before_any_run(tmp_path: Path, preset: str, overrides: list[str], message: str) -> None:
    with pytest.raises(UserError) as info:
        sweep(tmp_path, preset, *overrides)
    assert info.value.exit_code == 2 and message in info.value.message
    assert "\n" not in info.value.message
    assert not (tmp_path / "results").exists()


def test_unknown_executor_and_missing_submitit_fail_before_any_run(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(UserError, match="unknown executor 'dask'; valid choices: inprocess, local, slurm"):
        sweep(tmp_path, "default", executor="dask")
    monkeypatch.setitem(sys.modules, "submitit", None)  # what `import submitit` meets when it is not installed
    with pytest.raises(UserError, match=r"needs the submitit package: pip install 'yatbench\[slurm\]'") as info:
        sweep(tmp_path, "default", executor="slurm")
    assert info.value.exit_code == 2
    assert not (tmp_path / "results").exists()


@pytest.mark.skipif(shutil.which("sbatch") is not None, reason="this machine has SLURM")
def test_slurm_without_a_cluster_fails_before_any_run(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="needs a SLURM cluster, but sbatch/srun are not on PATH") as info:
        sweep(tmp_path, "default", executor="slurm")
    assert info.value.exit_code == 2 and not (tmp_path / "results").exists()


def test_executor_settings_come_from_file_preset_and_command_line(tmp_path: Path) -> None:
    (tmp_path / "sweep").mkdir()
    (tmp_path / "sweep" / "big.yaml").write_text(
        "# Big.\naxes: {dataset: xor}\nexecutor: {name: slurm, partition: gpu, timeout_min: 30}\n")
    preset = load_preset("big", tmp_path)
    cfg = executor_config(preset, None, ["executor.timeout_min=90", "executor.gpus_per_node=1"], None, tmp_path)
    assert (cfg.kind, cfg.cluster, cfg.partition, cfg.timeout_min, cfg.gpus_per_node) == (
        "submitit", "slurm", "gpu", 90, 1)
    local = executor_config(preset, "local", [], 3, tmp_path)  # --executor wins; the preset's settings stay with slurm
    assert (local.kind, local.workers, local.partition) == ("local", 3, None)
    with pytest.raises(UserError, match="--workers sets a pool size"):
        executor_config(preset, "inprocess", [], 2, tmp_path)


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    process = yatbench("sweep", "xor", "model=yta", cwd=tmp_path)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 2
    assert err.strip().splitlines() == [
        "error: unknown model 'yta'; valid choices: attention, linear, relu, sin, tanh, yat"]
    assert not (tmp_path / "results").exists()


# --- running, resuming, failing --------------------------------------------------------------------


def test_resume_runs_only_what_is_missing_and_force_reruns(tmp_path: Path) -> None:
    args = ["dataset=xor,compositional", "model=yat,linear", "seed=range(2)", *SMALL]
    first = sweep(tmp_path, "default", *args, executor="inprocess")
    assert first.exit_code == 0 and len(first.ran) == 8 and not first.already_done
    folders = run_folders(tmp_path / "results")
    assert len(folders) == 8 and all(is_complete(f) for f in folders)
    removed = folders[3]
    shutil.rmtree(removed)
    second = sweep(tmp_path, "default", *args, executor="inprocess")
    assert [r.run_id for r in second.ran] == [removed.name] and len(second.already_done) == 7
    assert "8 runs (4 configurations × seeds), 7 already done, 1 to run" in second.text
    dry = sweep(tmp_path, "default", *args, "model=yat,linear,relu", dry_run=True)
    assert not dry.ran and "12 runs (6 configurations × seeds), 8 already done, 4 to run" in dry.text
    forced = sweep(tmp_path, "default", *args, executor="inprocess", force=True)
    assert len(forced.ran) == 8 and not forced.already_done
    assert len(run_folders(tmp_path / "results")) == 8


def test_failures_are_recorded_the_sweep_goes_on_and_exits_1(tmp_path: Path) -> None:
    config = tmp_path / "conf"
    (config / "sweep").mkdir(parents=True)
    (config / "sweep" / "mixed.yaml").write_text(
        "# Some runs fail.\n"
        "axes:\n  trainer.epochs: 20\n  seed: range(2)\n"
        "grid:\n"
        "  - {dataset: xor, model: relu}\n"
        f"  - {{dataset: mnist, dataset.source: torchvision, dataset.data_dir: {tmp_path / 'no-data'}}}\n"
        "  - {dataset: compositional, model: relu, trainer.optimizer: sgd, trainer.lr: 1.0e6}\n")
    result = sweep(tmp_path, "mixed", user_dir=config, executor="local", workers=2)
    statuses = sorted((r.record["dataset"], r.status) for r in result.ran)
    assert statuses == [("compositional", "diverged")] * 2 + [("mnist", "failed")] * 2 + [("xor", "ok")] * 2
    assert result.exit_code == 1
    failed = [r for r in result.ran if r.status == "failed"]
    assert all("dataset.source=bundled" in r.message for r in failed)  # the data loader's own words
    assert "4 runs failed or diverged" in result.text and "diverged at epoch" in result.text
    for report in failed:
        record = json.loads((tmp_path / "results" / FAILED_DIR / f"{report.run_id}.json").read_text())
        assert record["status"] == "failed" and "Traceback" in record["traceback"]
        assert not (tmp_path / "results" / report.run_id).exists()  # not a run folder: retried next time
    again = sweep(tmp_path, "mixed", user_dir=config, executor="inprocess")
    assert sorted(r.status for r in again.ran) == ["failed", "failed"]  # only the failed runs are retried
    assert sorted(r.status for r in again.already_done) == ["diverged", "diverged", "ok", "ok"]
    assert again.exit_code == 1


def test_local_pool_gives_the_same_metrics_as_in_process(tmp_path: Path) -> None:
    args = ["dataset=xor,compositional", "model=yat,relu,attention", "seed=range(2)", "trainer.epochs=30"]
    inline = sweep(tmp_path / "a", "default", *args, executor="inprocess")
    pooled = sweep(tmp_path / "b", "default", *args, executor="local", workers=2)
    assert "on 2 local worker processes (1 torch thread each)" in pooled.text
    assert len(inline.ran) == len(pooled.ran) == 12
    metrics = {r.run_id: r.record["metrics"] for r in inline.ran}
    assert {r.run_id: r.record["metrics"] for r in pooled.ran} == metrics


def test_submitit_local_executor_runs_the_slurm_path(tmp_path: Path) -> None:
    args = ["dataset=xor,compositional", "model=yat,linear", "seed=0", *SMALL]
    result = sweep(tmp_path, "default", *args, executor="submitit_local", workers=2)
    assert result.exit_code == 0 and len(result.ran) == 4 and all(r.status == "ok" for r in result.ran)
    assert "through submitit on local processes" in result.text
    assert len(run_folders(tmp_path / "results")) == 4
    assert any((tmp_path / "results" / ".submitit").rglob("*_submitted.pkl"))
    inline = sweep(tmp_path / "inline", "default", *args, executor="inprocess")
    assert {r.run_id: r.record["metrics"] for r in inline.ran} == {r.run_id: r.record["metrics"] for r in result.ran}


# --- the command line: kills, concurrency, output ----------------------------------------------------

KILL_GRID = ["default", "dataset=xor,compositional", "seed=range(4)", "trainer.epochs=300",
             "trainer.seed_batching=off"]  # 32 runs that finish one by one


def assert_results_consistent(results: Path, expected: int) -> None:
    folders = run_folders(results)
    assert len(folders) == expected and len({f.name for f in folders}) == expected
    for folder in folders:
        record = json.loads((folder / "metrics.json").read_text())
        assert record["run_id"] == folder.name and record["status"] == "ok"
        assert {"config.yaml", "history.csv", "model.pt"} <= {p.name for p in folder.iterdir()}


def test_a_killed_sweep_resumes_with_nothing_lost_or_duplicated(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for wait_for in (0, 6):  # killed while starting, then killed once some runs are done
        process = yatbench("sweep", *KILL_GRID, "--workers", "2", cwd=tmp_path, start_new_session=True)
        deadline = time.monotonic() + 120
        while len(run_folders(results)) < wait_for and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        if wait_for == 0:
            time.sleep(1.5)
        os.killpg(process.pid, signal.SIGKILL)  # the sweep and its workers, at once
        process.wait()
        assert all(is_complete(f) for f in run_folders(results))  # nothing half-written among run folders
    done_before = len(run_folders(results))
    assert done_before >= 6
    process = yatbench("sweep", *KILL_GRID, "--workers", "2", cwd=tmp_path)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert f"32 runs (8 configurations × seeds), {done_before} already done, {32 - done_before} to run" in out
    assert_results_consistent(results, 32)
    assert err == ""  # no progress bar when stderr is not a terminal


def test_two_sweeps_at_once_on_one_results_folder(tmp_path: Path) -> None:
    grid = ["default", "dataset=xor,compositional", "model=yat,relu", "seed=range(3)", "trainer.epochs=200"]
    first = yatbench("sweep", *grid, "--executor", "inprocess", cwd=tmp_path)
    second = yatbench("sweep", *grid, "--executor", "inprocess", cwd=tmp_path)
    for process in (first, second):
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    assert_results_consistent(tmp_path / "results", 12)
    leftovers = list((tmp_path / "results" / PARTIAL_DIR).iterdir())
    assert leftovers == []


def test_sweep_help_has_examples(tmp_path: Path) -> None:
    process = yatbench("sweep", "--help", cwd=tmp_path)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0 and "yatbench sweep xor seed='range(20)'" in out
