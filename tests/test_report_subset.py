"""`yatbench report --where` (a subset, disclosed on the page) and `--compare A B` (configurations matched
by seedless key, differences with intervals), on fabricated run folders with known metrics."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_report import fabricate
from yatbench.errors import UserError
from yatbench.report.compare import compare_folders
from yatbench.report.load import load_runs
from yatbench.report.subset import apply_where, parse_where


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    results = tmp_path_factory.mktemp("subset") / "results"
    for seed in range(3):
        for lr, shift in (("0.01", 0.0), ("0.001", 1.0)):
            fabricate(results, "compositional", "yat", seed, {"test_mse": 1.0 + seed + shift, "test_r2": 0.9},
                      f"trainer.lr={lr}", weights=False)
            fabricate(results, "compositional", "relu", seed, {"test_mse": 3.0 + seed + shift, "test_r2": 0.8},
                      f"trainer.lr={lr}", weights=False)
        fabricate(results, "compositional", "linear", seed, {"test_mse": 9.0, "test_r2": 0.1}, weights=False)
    return results


def test_where_keeps_matching_runs_and_relabels(folder: Path) -> None:
    table = apply_where(load_runs(folder), parse_where(["trainer.lr=0.01", "model=yat,relu"]))
    assert len(table.runs) == 6 and set(table.runs["model"]) == {"yat", "relu"}
    assert set(table.runs["trainer.lr"].astype(float)) == {0.01}
    assert set(table.runs["variant_label"]) == {""}  # lr no longer tells configurations apart


@pytest.mark.parametrize("items, words", [(["trainer.lrr=1"], "not recorded"), (["model=yta"], "matches no run"),
                                          (["model"], "not KEY=VALUE")])
def test_where_bad_input_is_one_clear_error(folder: Path, items: list[str], words: str) -> None:
    with pytest.raises(UserError, match=words):
        apply_where(load_runs(folder), parse_where(items))


def test_cli_where_discloses_the_subset(folder: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "yatbench", "report", "-r", str(folder), "--out",
                           str(tmp_path / "page"), "--where", "trainer.lr=0.01", "--where", "model=yat,relu"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "subset: trainer.lr=0.01 and model ∈ {yat, relu} (6 runs)" in done.stdout
    page = (tmp_path / "page" / "index.md").read_text()
    assert "**Subset:**" in page and "6 of the 15 runs" in page
    bad = subprocess.run([sys.executable, "-m", "yatbench", "report", "-r", str(folder), "--where", "model=yta"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "relu, yat" in bad.stderr


def test_compare_matches_by_seedless_key_with_intervals(folder: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(folder, other)
    for run in other.iterdir():  # B: linear removed, so it is "A only"
        if run.name.startswith("compositional-linear"):
            shutil.rmtree(run)
    result = compare_folders(folder, other, tmp_path / "cmp")
    frame = result.numeric.set_index("seedless_key")
    assert (frame["in"] == "both").sum() == 4 and (frame["in"] == "A only").sum() == 1
    both = frame[frame["in"] == "both"]
    assert (both["diff_b_minus_a"] == 0).all() and (both["diff_ci_lo"] < 0).all() and (both["diff_ci_hi"] > 0).all()
    assert (both["n_a"] == 3).all() and (both["n_b"] == 3).all()
    assert (tmp_path / "cmp" / "compare.csv").is_file() and result.index_html.is_file()


def test_both_xor_encodings_get_their_decision_regions(spec_for, tmp_path: Path) -> None:
    """The drawn configuration is ±1; the {0, 1} runs get their own figure, which says which configuration it shows."""
    from yatbench.report import build_report
    from yatbench.run import execute

    for encoding, seeds in (("pm1", 3), ("binary", 2)):  # the drawn configuration is the one with most seeds
        for seed in range(seeds):
            execute(spec_for("xor", "yat", "trainer.epochs=30", f"dataset.encoding={encoding}", f"seed={seed}"))
    report = build_report(tmp_path / "results")
    figures = {f.name: f for f in report.figures}
    assert {"decision_regions_xor", "decision_regions_xor_binary"} <= set(figures)
    assert "encoding=binary" in figures["decision_regions_xor_binary"].caption
    assert "Configurations: yat:" in figures["decision_regions_xor"].caption
