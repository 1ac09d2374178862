"""Provenance: every run records its source commit (or that there is none), command, host, CPU, threads,
device and versions; runs.csv carries them; the report shows them per configuration and warns, on the
terminal and the page, when one configuration's runs were made with different versions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy
import pytest
import torch

from tests.test_report import fabricate
from tests.tiny import tiny_runs
from yatbench.report.load import load_runs
from yatbench.report.provenance import provenance_table, version_warnings
from yatbench.rundir.provenance import NOT_GIT, PACKAGE_DIR, source_commit
from yatbench.rundir.tags import write_tags

GIT = shutil.which("git")


def test_every_run_records_where_it_came_from(tmp_path: Path) -> None:
    (run_id,) = tiny_runs(tmp_path / "results", ("linear",), (0,))
    record = json.loads((tmp_path / "results" / run_id / "metrics.json").read_text())
    prov, versions = record["provenance"], record["versions"]
    assert set(prov) == {"commit", "dirty", "command", "host", "cpu", "threads", "device_name"}
    assert versions == {"yatbench": "0.1.0", "torch": torch.__version__, "numpy": numpy.__version__,
                        "python": sys.version.split()[0]}
    assert prov["commit"] == source_commit()[0] and prov["host"] and prov["cpu"] and prov["device_name"]
    assert isinstance(prov["threads"], int) and prov["threads"] >= 1 and prov["command"]
    row = load_runs(tmp_path / "results").runs.iloc[0]
    assert row["commit"] == prov["commit"] and row["versions.numpy"] == numpy.__version__
    assert row["threads"] == prov["threads"] and row["host"] == prov["host"]


@pytest.mark.skipif(GIT is None, reason="git is not installed")
def test_this_checkout_commit_matches_git() -> None:
    head = subprocess.run([GIT, "-C", str(PACKAGE_DIR), "rev-parse", "HEAD"], capture_output=True, text=True)
    commit, dirty = source_commit()
    if head.returncode == 0 and commit != NOT_GIT:
        assert commit == head.stdout.strip() and isinstance(dirty, bool)


def _commit_of(package_root: Path, path_env: str | None = None) -> list:
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    if path_env is not None:
        env["PATH"] = path_env
    done = subprocess.run([sys.executable, "-c", "import json, yatbench.rundir.provenance as p; "
                           "print(json.dumps(p.source_commit()))"], capture_output=True, text=True, env=env,
                          timeout=60, cwd=package_root)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_commit_outside_git_without_git_and_in_a_fresh_repository(tmp_path: Path) -> None:
    """A copy of the package: not tracked → "not a git checkout"; no git on PATH → the same; then a real
    repository of its own: its commit, clean, and dirty once a tracked file changes."""
    root = tmp_path / "copy"
    shutil.copytree(PACKAGE_DIR, root / "yatbench", ignore=shutil.ignore_patterns("__pycache__"))
    assert _commit_of(root) == [NOT_GIT, None]
    if GIT is None:
        return
    git = [GIT, "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for args in (["init", "-q"], ["add", "yatbench"], ["commit", "-qm", "copy"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    sha = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert _commit_of(root) == [sha, False]
    assert _commit_of(root, path_env="") == [NOT_GIT, None]  # git absent: no failure, no commit
    changed = root / "yatbench" / "core" / "errors.py"
    changed.write_text(changed.read_text() + "# changed\n")
    assert _commit_of(root) == [sha, True]


def _set_versions(folder: Path, **versions: str) -> None:
    path = folder / "metrics.json"
    record = json.loads(path.read_text())
    record["versions"] = {"yatbench": "0.1.0", "torch": "2.0.0", "numpy": "2.0.0", "python": "3.11.0", **versions}
    record["provenance"] = {"commit": "a" * 40, "dirty": False, "command": "yatbench sweep", "host": "h1",
                            "cpu": "cpu", "threads": 2, "device_name": "cpu"}
    path.write_text(json.dumps(record))


def test_report_shows_provenance_and_warns_on_mixed_versions(tmp_path: Path) -> None:
    results = tmp_path / "results"
    for seed in range(3):  # compositional yat: seed 2 made with another torch; relu: all the same
        _set_versions(fabricate(results, "compositional", "yat", seed, {"test_mse": 1.0 + seed, "test_r2": 0.9},
                                weights=False), **({"torch": "2.9.9"} if seed == 2 else {}))
        _set_versions(fabricate(results, "compositional", "relu", seed, {"test_mse": 2.0 + seed, "test_r2": 0.8},
                                weights=False))
    write_tags(next(results.glob("compositional-relu-s0-*")), ["baseline"])
    odd = fabricate(results, "compositional", "linear", 0, {"test_mse": 9.0}, weights=False)
    record = json.loads((odd / "metrics.json").read_text())
    (odd / "metrics.json").write_text(json.dumps({**record, "provenance": ["not", "a", "mapping"]}))
    loaded = load_runs(results)
    assert loaded.broken == [(odd.name, "provenance is not a mapping of names to plain values")]
    runs = loaded.runs
    warnings = version_warnings(runs)
    assert len(warnings) == 1 and warnings[0].startswith("compositional · yat: its 3 runs")
    assert "torch 2.0.0 vs 2.9.9" in warnings[0]
    table = provenance_table(runs).set_index("model")
    assert table.loc["yat", "torch"] == "2.0.0 | 2.9.9" and table.loc["relu", "torch"] == "2.0.0"
    assert table.loc["relu", "commit"] == "a" * 10 and table.loc["relu", "dirty"] == "no"
    done = subprocess.run([sys.executable, "-m", "yatbench", "report", "-r", str(results), "--out",
                           str(tmp_path / "page")], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("warning:")]
    assert len(lines) == 1 and "compositional · yat" in lines[0] and "2.9.9" in lines[0]
    page = (tmp_path / "page" / "index.md").read_text()
    assert "**Warning: runs of one configuration made with different code.**" in page and "### Provenance" in page
    assert "| variant id | tags |" in page and "| baseline |" in page  # the configurations' tags
    assert (tmp_path / "page" / "provenance.csv").is_file() and (tmp_path / "page" / "runs.parquet").is_file()
    assert "versions.torch" in (tmp_path / "page" / "runs.csv").read_text().splitlines()[0]
    assert "different code" in (tmp_path / "page" / "index.html").read_text()
