"""`yatbench bench` end to end on tiny shapes (speed figures come from running it, not from tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from yatbench.bench.throughput import trainer_throughput


def test_bench_writes_its_tables(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "yatbench", "bench", "--shapes", "32x16x8", "--repeats", "3",
                             "--no-throughput", "--out", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    table = (tmp_path / "layer.csv").read_text()
    assert "linear_relu" in table and "yat_reference" in table
    assert ",hidden," in table and ",first," in table  # both positions by default


def test_bench_rejects_an_unknown_layer_position(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "yatbench", "bench", "--layer", "middle"],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --layer 'middle' is not valid; choose hidden, first or both"


def test_bench_rejects_a_malformed_shape(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "yatbench", "bench", "--shapes", "32x16"],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == ("error: --shapes item '32x16' is not BATCHxINxOUT with positive integers, "
                                     "e.g. 256x784x256")


def test_trainer_and_hand_loop_do_the_same_work() -> None:
    row = trainer_throughput("xor", "relu", ["trainer.epochs=20"], repeats=1)
    assert row["batch_size"] == 4 and row["epochs"] == 20
    assert row["trainer_samples_per_s"] > 0 and row["hand_loop_samples_per_s"] > 0
