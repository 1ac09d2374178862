"""`yatbench report --where` (a subset, disclosed on the page) and `--compare A B` (configurations matched
by seedless key, differences with intervals), on fabricated run folders with known metrics."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_report import fabricate
from yatbench.core.errors import UserError
from yatbench.report.compare import compare_folders
from yatbench.report.load import RunTable, load_runs
from yatbench.report.subset import apply_where, parse_condition, parse_where


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


@pytest.mark.parametrize("items, words", [
    (["trainer.lrr=1"], "not recorded by any run; did you mean trainer.lr"), (["model=yta"], "matches no run"),
    (["model"], "has no comparison"), (["params>"], "no value after '>'"), (["=3"], "names no key"),
    (["a<<b"], "not one comparison"), (["params>1,2"], "takes one value"), (["model=yat,,relu"], "empty value"),
    (["a b=3"], "not KEY OP VALUE"), (["model!=yat,relu,linear"], "matches no run")])
def test_where_bad_input_is_one_clear_error(folder: Path, items: list[str], words: str) -> None:
    with pytest.raises(UserError, match=re.escape(words)) as caught:
        apply_where(load_runs(folder), parse_where(items))
    assert "\n" not in caught.value.message


@pytest.mark.parametrize("items, expected", [
    (["model!=linear"], {"yat": 6, "relu": 6}),
    (["model!=linear,relu"], {"yat": 6}),
    (["test_mse<3"], {"yat": 3}),  # yat: 1, 2, 3 at lr 0.01 and 2, 3, 4 at 0.001; relu ≥ 3
    (["test_mse<=3"], {"yat": 5, "relu": 1}),
    (["test_mse>8"], {"linear": 3}),
    (["test_mse >= 5", "model=relu,yat"], {"relu": 3}),
    (["params<3"], {}),  # compared as numbers: linear has 3 (2 inputs, 1 output, bias), the others more
    (["params<=3"], {"linear": 3}),
    (["trainer.lr>0.005"], {"yat": 3, "relu": 3, "linear": 3}),
    (["trainer.lr<0.005"], {"yat": 3, "relu": 3}),
    (["seed>=1", "seed<2", "model=yat"], {"yat": 2}),
    (["model>r"], {"yat": 6, "relu": 6}),  # text against text: 'relu' > 'r', 'yat' > 'r', 'linear' < 'r'
    (["model==yat"], {"yat": 6}),
])
def test_where_operators(folder: Path, items: list[str], expected: dict[str, int]) -> None:
    if not expected:
        with pytest.raises(UserError, match="matches no run"):
            apply_where(load_runs(folder), parse_where(items))
        return
    table = apply_where(load_runs(folder), parse_where(items))
    assert table.runs["model"].value_counts().to_dict() == expected


def test_where_compares_numbers_as_numbers_and_lists_as_written() -> None:
    from yatbench.report.subset import matches

    assert matches(10, parse_condition("params>9")) and not matches(10, parse_condition("params>10"))
    assert matches(100, parse_condition("params>=1e2")) and matches(2.0, parse_condition("params=2"))
    assert not matches("9", parse_condition("x>10")) and matches(float("nan"), parse_condition("x!=1"))
    assert not matches(float("nan"), parse_condition("x<1")) and not matches(None, parse_condition("x>=a"))
    assert matches("[7,7]", parse_condition("model.hidden=[16],[7,7]"))
    assert matches(True, parse_condition("solved=true")) and matches(False, parse_condition("solved!=true"))
    assert matches("baseline,v2", parse_condition("tags=v2")) and not matches("baseline", parse_condition("tags=v"))
    assert matches("", parse_condition("tags!=v2")) and not matches("v2", parse_condition("tags!=v2,x"))


@pytest.fixture(scope="module")
def loaded(folder: Path) -> RunTable:
    return load_runs(folder)  # read once: apply_where never changes the table it is given


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["model", "params", "test_mse", "trainer.lr", "seed", "tags", "nope", "", " ", "a b"]),
       op=st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "==", "=<", "<<", "!", "=>", ""]),
       value=st.one_of(st.sampled_from(["yat", "relu,yat", "1", "0.01", "3.5", "1e3", "[7]", "-1", "", ",", "nan",
                                        "inf", "true"]), st.text(max_size=12)))
def test_any_condition_is_a_subset_or_one_line(loaded: RunTable, key: str, op: str, value: str) -> None:
    """Generated conditions, well-formed or not: a subset of the runs, or one UserError line; never a traceback."""
    table = loaded
    try:
        kept = apply_where(table, parse_where([f"{key}{op}{value}"]))
    except UserError as exc:
        assert exc.message and "\n" not in exc.message and "Traceback" not in exc.message
        return
    assert set(kept.runs["run_id"]) <= set(table.runs["run_id"]) and not kept.runs.empty


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
    for malformed in ("params>", "=3", "a<<b"):
        bad = subprocess.run([sys.executable, "-m", "yatbench", "report", "-r", str(folder), "--out",
                              str(tmp_path / "never"), "--where", malformed], capture_output=True, text=True,
                             timeout=300)
        assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and malformed in bad.stderr, bad.stderr
        assert not (tmp_path / "never").exists()


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
    from yatbench.run.execute import execute

    for encoding, seeds in (("pm1", 3), ("binary", 2)):  # the drawn configuration is the one with most seeds
        for seed in range(seeds):
            execute(spec_for("xor", "yat", "trainer.epochs=30", f"dataset.encoding={encoding}", f"seed={seed}"))
    report = build_report(tmp_path / "results")
    figures = {f.name: f for f in report.figures}
    assert {"decision_regions_xor", "decision_regions_xor_binary"} <= set(figures)
    assert "encoding=binary" in figures["decision_regions_xor_binary"].caption
    assert "Configurations: yat:" in figures["decision_regions_xor"].caption
