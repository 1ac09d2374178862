"""What the terminal shows (issue 15): --version, completion, sweep --dry-run's list of runs, whole
descriptions in `list`, 80-column report tables that keep the column telling rows apart, bench's
--device hint; and the per-run JSONL export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.test_report import fabricate
from yatbench.core.errors import UserError
from yatbench.rundir.export import EVENTS_FILE


def yatbench(*args: str, cwd: Path, columns: int = 80) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yatbench", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": str(columns)})


def test_version_and_completion(tmp_path: Path) -> None:
    from yatbench import __version__

    done = yatbench("--version", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.strip() == f"yatbench {__version__}"
    assert "--install-completion" in yatbench("--help", cwd=tmp_path, columns=120).stdout


def test_sweep_dry_run_lists_configurations_and_runs(tmp_path: Path) -> None:
    done = yatbench("sweep", "xor", "model=yat", "seed=range(2)", f"results_dir={tmp_path / 'r'}", "--dry-run", "-v",
                    cwd=tmp_path, columns=120)
    assert done.returncode == 0, done.stderr
    ids = [line.split()[-1] for line in done.stdout.splitlines() if line.strip().startswith("to run")]
    assert len(ids) == 12 and all(i.startswith("xor-yat-s") for i in ids)  # 2 encodings × 3 kernels × 2 seeds
    assert "encoding=binary" in done.stdout and not (tmp_path / "r").exists()


def test_list_dataset_keeps_whole_descriptions(tmp_path: Path) -> None:
    done = yatbench("list", "dataset", cwd=tmp_path, columns=80)
    # the descriptions, rejoined across the lines rich wraps them on: nothing cut off
    described = " ".join(" ".join(line.split()) for line in done.stdout.splitlines())
    assert "first layer's weights negated" in described and "Same options as mnist." in described
    assert "…" not in done.stdout


def test_report_tables_at_80_columns_keep_the_setting(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for seed in range(3):
        for lr in ("0.01", "0.001"):
            fabricate(results, "compositional", "relu", seed, {"test_mse": 1.0, "test_r2": 0.9}, f"trainer.lr={lr}",
                      weights=False)
    done = yatbench("report", "-r", str(results), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "lr=0.01" in done.stdout and "lr=0.001" in done.stdout  # the rows stay apart
    assert max(len(line) for line in done.stdout.splitlines()) <= 80


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a CUDA GPU")
def test_bench_cuda_without_gpu_suggests_cpu(tmp_path: Path) -> None:
    done = yatbench("bench", "--device", "cuda", cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "use --device cpu" in done.stderr


def test_jsonl_export_from_the_recorded_history(spec_for) -> None:
    from yatbench.run.execute import execute

    plain = spec_for("xor", "yat", "trainer.epochs=20")
    spec = spec_for("xor", "yat", "trainer.epochs=20", "export=jsonl")
    assert spec.run_id == plain.run_id  # an export does not change what the run is
    outcome = execute(spec)
    lines = [json.loads(line) for line in (outcome.run_dir / EVENTS_FILE).read_text().splitlines()]
    assert lines[0]["type"] == "run" and lines[0]["run_id"] == spec.run_id and lines[-1]["type"] == "summary"
    history = (outcome.run_dir / "history.csv").read_text().splitlines()
    scalars = [line for line in lines if line["type"] == "scalar"]
    per_row = len(history[0].split(",")) - 2  # every column but epoch and step
    assert len(scalars) == per_row * (len(history) - 1)
    assert lines[-1]["metrics"]["test_accuracy"] == outcome.record["metrics"]["test_accuracy"]
    with pytest.raises(UserError, match="export='tb'"):
        spec_for("xor", "yat", "export=tb")
