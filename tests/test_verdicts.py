"""Issue 21, the report side: intervals with the test set's sampling error (the paired bootstrap), verdicts
that know their convergence and their budget, tuned and nmn-variant rows kept out of the tally, the opening
claims table, and the README's findings regenerated between markers — on generated inputs and real runs."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yatbench.core.errors import UserError
from yatbench.report.claims import verdict_counts
from yatbench.report.findings import END, START, check_findings_file, marker_lines
from yatbench.report.stats import METHODS, paired_bootstrap_diff

ROOT = Path(__file__).resolve().parents[1]
FAST = settings(max_examples=60, deadline=None)  # each example is 2 000 resamples of a small matrix


@st.composite
def arms(draw: st.DrawFn, binary: bool | None = None, min_n: int = 1) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Two arms of per-seed outcome vectors on one shared test set (0/1 outcomes or squared errors)."""
    seeds = draw(st.integers(1, 5))
    n = draw(st.integers(min_n, 40))
    as_bits = draw(st.booleans()) if binary is None else binary
    value = st.integers(0, 1) if as_bits else st.floats(0.0, 100.0, allow_subnormal=False)

    def vector() -> np.ndarray:
        return np.array(draw(st.lists(value, min_size=n, max_size=n)), dtype=np.float64)
    return [vector() for _ in range(seeds)], [vector() for _ in range(seeds)]


@FAST
@given(arms(), st.booleans())
def test_bootstrap_interval_contains_its_point_estimate(pair, paired: bool) -> None:
    a, b = pair
    diff, lo, hi = paired_bootstrap_diff(a, b, paired_seeds=paired)
    assert diff == pytest.approx(np.mean([v.mean() for v in a]) - np.mean([v.mean() for v in b]))
    assert lo <= diff + 1e-12 and diff - 1e-12 <= hi


@FAST
@given(arms(min_n=8), st.booleans())
def test_bootstrap_widens_when_the_test_set_shrinks(pair, paired: bool) -> None:
    """The same outcomes on a test set 4× larger (every example 4 times) give a narrower interval. (From 8
    examples: with 2, a percentile interval of a handful of distinct resampled means is too coarse for this,
    e.g. [0, 0] and [0, 1] unpaired gave [−0.5, 0.5] against [−0.625, 0.5] at 4×.)"""
    a, b = pair
    _, lo, hi = paired_bootstrap_diff(a, b, paired_seeds=paired)
    _, big_lo, big_hi = paired_bootstrap_diff([np.tile(v, 4) for v in a], [np.tile(v, 4) for v in b],
                                              paired_seeds=paired)
    assert hi - lo >= (big_hi - big_lo) - 1e-9


@FAST
@given(arms(binary=True))
def test_bootstrap_width_comes_from_the_examples_when_seeds_agree(pair) -> None:
    """Every seed alike: the whole width is the test set's sampling error, and it halves at 4× the examples."""
    a, b = pair
    a, b = [a[0]] * len(a), [b[0]] * len(b)
    _, lo, hi = paired_bootstrap_diff(a, b, paired_seeds=True)
    _, big_lo, big_hi = paired_bootstrap_diff([np.tile(v, 4) for v in a], [np.tile(v, 4) for v in b], True)
    if np.array_equal(a[0], b[0]) or np.ptp(a[0] - b[0]) == 0:
        # No example-to-example variation: nothing to resample, so no width beyond rounding (each resampled mean
        # sums count/n weights, which need not add up to exactly 1: 12 draws of -1 gave -0.9999999999999999).
        assert abs(hi - lo) <= 1e-12 and abs(big_hi - big_lo) <= 1e-12
    elif len(a[0]) >= 8:
        assert 1.5 < (hi - lo) / (big_hi - big_lo) < 2.7  # √4 = 2, give or take the resampling


@FAST
@given(arms(), st.booleans())
def test_bootstrap_of_identical_arms_is_centred_on_zero(pair, paired: bool) -> None:
    a, _ = pair
    diff, lo, hi = paired_bootstrap_diff(a, [v.copy() for v in a], paired_seeds=paired)
    assert diff == 0.0 and lo <= 0.0 <= hi
    if paired:
        assert lo == hi == 0.0  # every resample draws the same seeds and examples for both arms
    else:
        assert abs(lo + hi) <= 0.5 * (hi - lo) + 1e-12  # the two arms' draws differ only in their seeds


@FAST
@given(arms(), st.booleans())
def test_bootstrap_is_deterministic_and_antisymmetric(pair, paired: bool) -> None:
    a, b = pair
    first = paired_bootstrap_diff(a, b, paired_seeds=paired)
    assert paired_bootstrap_diff(a, b, paired_seeds=paired) == first
    if paired:
        diff, lo, hi = paired_bootstrap_diff(b, a, paired_seeds=True)
        assert (diff, lo, hi) == pytest.approx((-first[0], -first[2], -first[1]), abs=1e-12)


def test_bootstrap_matches_the_normal_interval_of_a_paired_difference_on_a_large_test_set() -> None:
    """One seed per arm, 4 000 examples: the bootstrap is the paired normal interval, d ± 1.96·sd(D)/√n."""
    rng = np.random.default_rng(7)
    a = (rng.random(4000) < 0.9).astype(np.float64)
    b = np.where(rng.random(4000) < 0.1, 1 - a, a)
    diff, lo, hi = paired_bootstrap_diff([a], [b], paired_seeds=True)
    half = 1.959964 * (a - b).std() / math.sqrt(len(a))
    assert diff == pytest.approx((a - b).mean())
    assert lo == pytest.approx(diff - half, abs=0.15 * half) and hi == pytest.approx(diff + half, abs=0.15 * half)


def test_bootstrap_refuses_test_sets_of_different_sizes() -> None:
    with pytest.raises(ValueError, match="not one shared test set"):
        paired_bootstrap_diff([np.ones(3)], [np.ones(4)], paired_seeds=True)
    assert all(math.isnan(v) for v in paired_bootstrap_diff([], [np.ones(4)], paired_seeds=False))


# ------------------------------------------------------------------ the README's findings


def test_the_readme_has_the_findings_markers_once_each_in_order() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    starts, ends = marker_lines("\n".join(lines), START), marker_lines("\n".join(lines), END)
    assert len(starts) == 1 and len(ends) == 1
    assert lines.index("## What the runs say (measured here)") < starts[0] < ends[0] < lines.index("## Development")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "yatbench", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=600, check=False)


@pytest.fixture(scope="module")
def tiny_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real runs: one XOR neuron (yat) and the linear model, 3 seeds each (the claims need 3)."""
    from tests.tiny import tiny_runs

    results = tmp_path_factory.mktemp("verdicts") / "results"
    tiny_runs(results, ("yat", "linear"), (0, 1, 2))
    return results


def test_findings_are_written_between_the_markers_and_nothing_else_changes(tiny_results: Path,
                                                                            tmp_path: Path) -> None:
    head = "# A project\n\nSome words that must stay, with `<!-- findings:start -->` quoted in prose.\n\n"
    tail = "\n## After\n\nMore words, kept byte for byte.\r\nEven this line.\n"
    readme = tmp_path / "README.md"
    readme.write_bytes(f"{head}{START}\nhand-written findings that go away\n{END}{tail}".encode())
    readme.chmod(0o640)
    done = _cli("report", "--results-dir", str(tiny_results), "--out", str(tmp_path / "report"), "--findings",
                str(readme), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = readme.read_bytes().decode()
    assert text.startswith(f"{head}{START}\n") and text.endswith(f"{END}{tail}")
    block = text[len(head) + len(START) + 1:-len(END + tail)]
    assert "hand-written" not in block
    assert ("| claim | seed's words | what was measured | verdict | convergence | budget-robust | which part of ⵟ "
            "earns it |") in block
    claims = pd.read_csv(tmp_path / "report" / "claims.csv")
    assert sum(line.startswith("| ") for line in block.splitlines()) == len(claims) + 1  # header + one per row
    assert f"`{tiny_results}`" in block and "6 runs" in block and "runs made at commit" in block
    assert oct(readme.stat().st_mode & 0o777) == "0o640"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "report"]  # no temporary file is left


def test_findings_refuse_a_file_without_markers_a_link_and_compare(tiny_results: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain.md"
    plain.write_text(f"# no markers here\n{START}\nquoted: `{END}`\n")
    link = tmp_path / "link.md"
    link.symlink_to(plain)
    twice = tmp_path / "twice.md"
    twice.write_text(f"{START}\n{END}\n{START}\n{END}\n")
    for path, message in ((plain, "(found 1 and 0)"), (twice, "(found 2 and 2)"), (link, "is a symbolic link"),
                          (tmp_path / "absent.md", "no such file")):
        with pytest.raises(UserError, match=re.escape(message)):
            check_findings_file(path)
    for args, message in (([], f"needs the line {START} once, then the line {END} once (found 1 and 0)"),
                          (["--compare", str(tiny_results), str(tiny_results)], "cannot be used with --compare")):
        done = _cli("report", "--results-dir", str(tiny_results), "--out", str(tmp_path / "report"), "--findings",
                    str(plain), *args, cwd=tmp_path)
        assert done.returncode == 2 and message in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert plain.read_text() == f"# no markers here\n{START}\nquoted: `{END}`\n"
    assert not (tmp_path / "report").exists()  # refused before anything was built


@pytest.fixture(scope="module")
def tiny_report(tiny_results: Path, tmp_path_factory: pytest.TempPathFactory):
    from yatbench.report import build_report

    return build_report(tiny_results, tmp_path_factory.mktemp("tiny_report") / "report",
                        figures_wanted=lambda name: False)


def test_tuned_and_variant_rows_are_shown_labelled_and_kept_out_of_the_tally(tiny_report) -> None:
    claims = tiny_report.claims
    variants = [c for c in claims if c.kind == "variant"]
    assert "yat_zero_set_nmn_bias" in {c.key for c in variants}
    assert all(not c.counts_in_tally for c in variants)
    counts = verdict_counts(claims)
    assert sum(counts.values()) == sum(c.counts_in_tally for c in claims) == len(claims) - len(variants)
    page = tiny_report.index_md.read_text()
    assert page.count("nmn's variant — not counted in the tally") >= 2 * len(variants)  # table and card
    assert f"({len(variants)} tuned or nmn-variant row(s) shown but not counted)" in page
    frame = pd.read_csv(tiny_report.out_dir / "claims.csv")
    assert list(frame.columns[:8]) == ["claim", "configuration", "quotes", "measured", "verdict", "convergence",
                                       "budget_robust", "earned_by"]
    assert {"counts_in_tally", "kind", "statement", "evidence", "rule", "runs", "notes"} <= set(frame.columns)
    assert frame.loc[frame["claim"] == "yat_zero_set_nmn_bias", "counts_in_tally"].tolist() == [False]


def test_the_page_opens_with_the_claims_table(tiny_report) -> None:
    page = tiny_report.index_md.read_text()
    first_table = page.index("\n| ")
    assert page.index("## Verdicts at a glance") < first_table
    assert page[first_table:].startswith("\n| claim | seed's words | what was measured | verdict | convergence | "
                                         "budget-robust | which part of ⵟ earns it |")
    assert not any(line.startswith("## ") for line in page[:page.index("## Verdicts at a glance")].splitlines())
    analytic = [c for c in tiny_report.claims if c.kind == "analytic"]
    assert analytic and all(c.convergence == c.budget_robust == "n/a" for c in analytic)


# ------------------------------------------------------------------ convergence, budget and intervals on real runs


def test_per_example_outcomes_are_read_at_the_evaluation_the_run_was_restored_to(tiny_report) -> None:
    """Classification: the ``correct`` row at ``best_epoch`` reproduces each run's recorded test accuracy."""
    from yatbench.report.outcomes import OutcomeReader

    table = tiny_report.table
    reader = OutcomeReader(table)
    for run_id, record in table.records.items():
        vector = reader.vector(run_id)
        assert vector is not None and vector.shape == (4,) and set(vector) <= {0.0, 1.0}
        assert vector.mean() == record.metrics["test_accuracy"] and reader.matches(run_id, vector)
        assert OutcomeReader(table, {run_id: None}).vector(run_id) is None  # no evaluation chosen: none read


def test_a_claim_whose_runs_were_cut_off_by_the_budget_says_unconverged_and_how_to_get_there(tiny_report) -> None:
    """The tiny XOR runs stop at their 20-epoch maximum while their validation loss still falls."""
    runs = tiny_report.table.runs
    assert not runs["converged"].astype(bool).any() and set(runs["stop_reason"]) == {"max_epochs"}
    (claim,) = [c for c in tiny_report.claims if c.key == "xor_one_neuron_pm1"]
    assert claim.verdict == "unconverged" and claim.convergence == "unconverged"
    assert claim.command == "yatbench sweep xor trainer.epochs=40"
    assert any("3 of 3 runs were cut off by their maximum budget" in note for note in claim.notes)
    for row in tiny_report.claims:  # never a decided verdict on arms that did not converge
        assert row.convergence != "unconverged" or row.verdict not in ("supported", "contradicted")
    frame = pd.read_csv(tiny_report.out_dir / "claims.csv", keep_default_na=False)
    assert frame.loc[frame["claim"] == "xor_one_neuron_pm1", ["verdict", "convergence"]].values.tolist() == [
        ["unconverged", "unconverged"]]


def test_converged_runs_keep_their_verdict_and_it_holds_at_half_the_budget(tmp_path: Path) -> None:
    """A validation loss below trainer.loss_floor leaves nothing to gain: every seed stops by the rule."""
    from tests.tiny import tiny_runs
    from yatbench.report import build_report

    results = tmp_path / "results"
    tiny_runs(results, ("yat",), range(5), "trainer.epochs=40", "trainer.patience=2", "trainer.eval_every=2",
              "trainer.loss_floor=1.0")
    report = build_report(results, figures_wanted=lambda name: False)
    (claim,) = [c for c in report.claims if c.key == "xor_one_neuron_pm1"]
    assert set(report.table.runs["converged"]) == {True}
    assert claim.convergence == "converged" and claim.verdict == "contradicted"  # 0 / 5 solved
    assert claim.budget_robust == "yes" and "at half the budget" in claim.budget_note
    assert not any("not read" in note or "not recorded" in note for note in claim.notes)


@pytest.fixture(scope="module")
def mse_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real compositional runs, yat [7] and relu [7] (29 vs 30 parameters), 3 seeds, early stopping on."""
    from yatbench.config.compose import compose_config
    from yatbench.config.spec import validate
    from yatbench.run.execute import execute

    results = tmp_path_factory.mktemp("mse") / "results"
    for model in ("yat", "relu"):
        for seed in range(3):
            execute(validate(compose_config([
                "dataset=compositional", f"model={model}", "model.hidden=[7]", f"seed={seed}",
                f"results_dir={results}", "trainer.progress=false", "trainer.epochs=60", "trainer.eval_every=5",
                "trainer.patience=10", "dataset.n=300", "device=cpu"])))
    return results


def test_the_half_budget_reads_each_run_at_its_best_validation_evaluation_up_to_half_its_epochs(
        mse_results: Path) -> None:
    from yatbench.report.budget import half_budget
    from yatbench.report.load import load_runs
    from yatbench.report.outcomes import OutcomeReader

    table = load_runs(mse_results)
    half = half_budget(table)
    kept, bare = half.with_files.runs.set_index("run_id"), half.without_files.runs.set_index("run_id")
    reader = OutcomeReader(table, half.epochs, half.with_files.runs)
    for run_id, record in table.records.items():
        history = pd.read_csv(mse_results / run_id / "history.csv")
        early = history[history["epoch"] <= record.epochs_run / 2]
        best = early.loc[early["val_loss"].idxmin()]  # read here, independently of the report's code
        assert half.epochs[run_id] == int(best["epoch"]) <= record.epochs_run / 2
        assert kept.loc[run_id, "test_mse"] == pytest.approx(best["test_mse"]) == bare.loc[run_id, "test_mse"]
        assert reader.vector(run_id).mean() == pytest.approx(best["test_mse"], rel=1e-5)
        assert math.isnan(bare.loc[run_id, "grad_norm_final_1"]) and not math.isnan(kept.loc[run_id,
                                                                                              "grad_norm_final_1"])


def test_mse_comparisons_include_the_test_set_sampling_error_and_fall_back_to_welch_saying_so(
        mse_results: Path, tmp_path: Path) -> None:
    import shutil

    from yatbench.report import build_report

    report = build_report(mse_results, tmp_path / "with", figures_wanted=lambda name: False)
    (claim,) = [c for c in report.claims if c.key == "compositional_yat_vs_relu"]
    assert "paired bootstrap 95% CI over seeds and test examples (60 per run" in claim.evidence
    assert "seeds paired" in claim.evidence and claim.budget_robust in ("yes", "no")
    assert "paired bootstrap over seeds and test examples" in METHODS  # stated on the page
    copy = tmp_path / "copy"
    shutil.copytree(mse_results, copy)
    next(copy.glob("compositional-relu-s1-*/test_outcomes.npz")).unlink()  # as a run made before them
    older = build_report(copy, tmp_path / "without", figures_wanted=lambda name: False)
    (welch,) = [c for c in older.claims if c.key == "compositional_yat_vs_relu"]
    assert "Welch 95% CI over seeds (per-example test outcomes not recorded for 1 of 6 runs" in welch.evidence
    assert "the test set's sampling error is not in this interval" in welch.evidence


def test_accuracy_comparison_is_the_paired_bootstrap_of_the_runs_own_outcome_files(tmp_path: Path) -> None:
    """Yat prototypes against the linear classifier on shrunk bundled MNIST: the claim's interval is the
    bootstrap of the ``correct`` rows at each run's best epoch, read here straight from test_outcomes.npz."""
    from yatbench.config.compose import compose_config
    from yatbench.config.spec import validate
    from yatbench.report import build_report
    from yatbench.run.execute import execute

    results = tmp_path / "results"
    arms: dict[str, list[np.ndarray]] = {"yat": [], "linear": []}
    for model, extra in (("yat", ["model.hidden=[]", "model.readout=none"]), ("linear", [])):
        for seed in range(3):
            run = execute(validate(compose_config([
                "dataset=mnist", f"model={model}", *extra, f"seed={seed}", f"results_dir={results}",
                "dataset.source=bundled", "dataset.max_train=200", "dataset.max_test=100", "trainer.epochs=4",
                "trainer.progress=false", "device=cpu"])))
            record = json.loads((run.run_dir / "metrics.json").read_text())
            with np.load(run.run_dir / "test_outcomes.npz") as saved:
                row = list(saved["epochs"]).index(record["best_epoch"])
                arms[model].append(saved["correct"][row].astype(np.float64))
            assert arms[model][-1].mean() == pytest.approx(record["metrics"]["test_accuracy"])
    report = build_report(results, figures_wanted=lambda name: False)
    (claim,) = [c for c in report.claims if c.key == "prototype_accuracy"]
    diff, lo, hi = paired_bootstrap_diff(arms["yat"], arms["linear"], paired_seeds=True)
    assert f"advantage of yat = {diff:+.3f}, paired bootstrap 95% CI over seeds and test examples (100 per run" \
        in claim.evidence
    assert f"[{lo:.3f}, {hi:.3f}]" in claim.evidence and "seeds paired" in claim.evidence
