"""The command line as a user meets it: real subprocesses, exit codes, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def yatbench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yatbench", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_help_does_not_import_torch() -> None:
    code = "import sys, yatbench.cli.main; sys.exit('torch' in sys.modules or 'hydra' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("command", [[], ["run"], ["list"]])
def test_every_command_explains_itself_with_an_example(command: list[str], tmp_path: Path) -> None:
    result = yatbench(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "yatbench" in result.stdout or "Example" in result.stdout


def test_run_prints_its_metrics_and_writes_the_folder(tmp_path: Path) -> None:
    result = yatbench("run", "xor", "--model", "relu", "trainer.epochs=15", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "test_accuracy" in result.stdout and "run folder written" in result.stdout
    (folder,) = [p for p in (tmp_path / "results").iterdir() if not p.name.startswith(".")]
    assert folder.name.startswith("xor-relu-s0-")
    again = yatbench("run", "xor", "--model", "relu", "trainer.epochs=15", cwd=tmp_path)
    assert "already complete" in again.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["run", "xr"], 2, "unknown dataset 'xr'"),
        (["run", "xor", "--model", "yta"], 2, "unknown model 'yta'; valid choices: "
         "attention, linear, relu, sin, tanh, yat"),
        (["run", "xor", "trainer.epochs=abc"], 2, "trainer.epochs='abc' is not a valid integer"),
        (["run", "xor", "model.hidden=[-1]"], 2, "model.hidden=[-1] must hold positive widths"),
        (["run", "xor", "trainer.nope=3"], 2, "unknown config key 'trainer.nope'"),
        (["run", "xor", "model.hidden=[1"], 2, "malformed override"),
        (["run", "xor", "results_dir=/dev/null/results"], 2, "is inside the system folder /dev"),
        (["run", "mnist", "dataset.source=torchvision", "dataset.data_dir=empty"], 1, "dataset.source=bundled"),
        (["list", "gadgets"], 2, "unknown group 'gadgets'"),
    ],
)
def test_bad_input_ends_in_one_line_and_leaves_nothing(args: list[str], code: int, message: str,
                                                      tmp_path: Path) -> None:
    result = yatbench(*args, cwd=tmp_path)
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    results = tmp_path / "results"
    leftovers = [p for p in results.rglob("*") if p.is_file()] if results.exists() else []
    assert leftovers == []


def test_list_shows_every_group(tmp_path: Path) -> None:
    result = yatbench("list", cwd=tmp_path)
    assert result.returncode == 0
    for name in ["xor", "compositional", "mnist", "inversion", "linear", "relu", "attention", "yat", "cuda"]:
        assert name in result.stdout


@pytest.mark.parametrize("missing", ["hydra", "torch"])
def test_a_missing_dependency_ends_in_one_line(missing: str, tmp_path: Path) -> None:
    """An environment without one of yatbench's dependencies (a broken install): one line naming it, exit 1.

    The environment is real: this Python's site-packages seen through links, that package's folder left out.
    """
    import sysconfig

    site = Path(sysconfig.get_paths()["purelib"])
    partial = tmp_path / "site-packages"
    partial.mkdir()
    for entry in site.iterdir():
        if entry.name != missing and not entry.name.endswith(".pth"):
            (partial / entry.name).symlink_to(entry)
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-S", "-m", "yatbench", "run", "xor", "--model", "yat",
                             f"results_dir={tmp_path / 'results'}"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300, env={"PYTHONPATH": f"{root}:{partial}", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: the package '{missing}' that this command needs is not installed")
    assert not (tmp_path / "results").exists()
