"""`yatbench bench --scaling`: the growth fit, its interval, the grids it accepts, and the command end to end.

No timing is asserted anywhere: the figures come from running the command (README), the tests check the
arithmetic on known power laws and that a real, tiny run writes a well-formed table.
"""

from __future__ import annotations

import csv
import math
import random
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yatbench.bench.growth import fit_growth, t_quantile
from yatbench.bench.scaling import AXES, CSV_COLUMNS, Row, csv_text, markdown, parse_scaling
from yatbench.core.errors import UserError

WORK = [10 ** (i / 2) for i in range(9)]  # 1 → 10 000, two points a decade


# --- the t quantile -------------------------------------------------------------------------------


@given(st.floats(0.01, 0.999))
def test_t_quantile_matches_the_closed_forms_of_one_and_two_degrees_of_freedom(level: float) -> None:
    # df = 1 is Cauchy: P(|T| ≤ t) = (2/π) atan t; df = 2: P(|T| ≤ t) = t / √(2 + t²)
    assert t_quantile(level, 1) == pytest.approx(math.tan(math.pi * level / 2), rel=1e-9)
    assert t_quantile(level, 2) == pytest.approx(level * math.sqrt(2 / (1 - level**2)), rel=1e-9)


def test_t_quantile_matches_printed_tables_and_tends_to_the_normal() -> None:
    # 97.5 % points of Student's t (any statistics table)
    for df, printed in ((3, 3.182), (4, 2.776), (5, 2.571), (10, 2.228), (30, 2.042)):
        assert t_quantile(0.95, df) == pytest.approx(printed, abs=5e-4)
    assert t_quantile(0.99, 7) == pytest.approx(3.499, abs=5e-4)
    normal = statistics.NormalDist().inv_cdf(0.975)
    assert normal < t_quantile(0.95, 2000) < normal + 2e-3
    with pytest.raises(ValueError):
        t_quantile(1.0, 3)


# --- the growth fit -------------------------------------------------------------------------------


@given(st.floats(-1.5, 3.0), st.floats(0.01, 1000.0), st.integers(3, 9))
def test_an_exact_power_law_gives_its_exponent_and_scale(exponent: float, scale: float, points: int) -> None:
    work = WORK[:points]
    fit = fit_growth(work, [scale * w**exponent for w in work])
    assert fit.exponent == pytest.approx(exponent, abs=1e-9)
    assert fit.scale == pytest.approx(scale, rel=1e-9)
    assert fit.low == pytest.approx(exponent, abs=1e-6) and fit.high == pytest.approx(exponent, abs=1e-6)
    assert fit.points == points


def test_a_noisy_power_law_lies_inside_its_interval() -> None:
    """cost = 3 · work^1.5 with 10 % log-normal noise, 20 data sets: every estimate near 1.5, every interval
    narrow, and (a 95 % interval) at most a few of them missing 1.5."""
    covered = 0
    for seed in range(20):
        noise = random.Random(seed)
        fit = fit_growth(WORK, [3 * w**1.5 * noise.lognormvariate(0, 0.1) for w in WORK])
        assert abs(fit.exponent - 1.5) < 0.05 and fit.high - fit.low < 0.1
        covered += fit.low < 1.5 < fit.high
    assert covered >= 17


@settings(max_examples=20, deadline=None, derandomize=True)
@given(st.floats(-1.0, 2.5), st.floats(0.02, 0.5), st.integers(0, 10**6))
def test_the_95_percent_interval_covers_the_true_exponent_about_95_percent_of_the_time(
        exponent: float, sigma: float, seed: int) -> None:
    """Coverage over 400 noisy data sets of 5 points (3 degrees of freedom, where a normal quantile
    would cover only ≈ 86 %): a wrong standard error or quantile shows as a coverage far from 95 %."""
    draw = random.Random(seed)
    work = WORK[::2]
    covered = 0
    for _ in range(400):
        fit = fit_growth(work, [w**exponent * draw.lognormvariate(0, sigma) for w in work])
        covered += fit.low <= exponent <= fit.high
    assert 0.90 <= covered / 400 <= 0.99  # binomial(400, 0.95): 0.90–0.99 holds with probability > 0.9999


def test_too_few_points_give_no_interval_or_no_slope_and_bad_costs_are_left_out() -> None:
    two = fit_growth([10, 100], [1.0, 10.0])
    assert two.exponent == pytest.approx(1.0) and math.isnan(two.low) and two.text() == "1.00"
    assert math.isnan(fit_growth([10, 10, 10], [1.0, 2.0, 3.0]).exponent)
    assert fit_growth([5], [1.0]).text() == "—"
    kept = fit_growth([1, 10, 100, 1000, 10000], [1.0, 100.0, math.nan, 0.0, 1e8])
    assert kept.points == 3 and kept.exponent == pytest.approx(2.0)


# --- the grids ------------------------------------------------------------------------------------


def test_scaling_grids_default_replace_and_keep_the_axes_order() -> None:
    assert parse_scaling(["all"]) == {axis: list(grid) for axis, grid in AXES.items()}
    assert list(parse_scaling(["depth", "runs=100,10"])) == ["runs", "depth"]
    assert parse_scaling(["depth", "runs=100,10"])["runs"] == [10, 100]
    both = parse_scaling(["all", "width=8,8,16"])
    assert both["width"] == [8, 16] and both["depth"] == list(AXES["depth"])
    assert parse_scaling(["width=32", "all"])["width"] == [32]  # an axis's own grid wins over all's default


@pytest.mark.parametrize("items", [["height"], ["width=8", "width=16"], ["width=8,x"], ["depth=0"], ["all=3"],
                                   ["width=10000000"], ["depth=100000000000"], ["runs="]])
def test_a_bad_scaling_grid_is_one_error(items: list[str]) -> None:
    with pytest.raises(UserError) as caught:
        parse_scaling(items)
    assert caught.value.exit_code == 2 and "\n" not in caught.value.message


@pytest.mark.parametrize(("option", "says"), [
    ("height", "error: --scaling 'height': 'height' is not an axis; choose all, runs, workers, width, depth"),
    ("width=100000000", "error: --scaling width=100000000 needs about"),
])
def test_the_command_answers_a_bad_scaling_grid_in_one_line(tmp_path: Path, option: str, says: str) -> None:
    result = subprocess.run([sys.executable, "-m", "yatbench", "bench", "--scaling", option],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(says) and result.stderr.count("\n") == 1
    assert not (tmp_path / "results").exists()  # refused before anything was written


# --- the tables -----------------------------------------------------------------------------------


def test_the_tables_give_every_series_its_growth() -> None:
    rows = []
    for runs in (10, 100, 1000):
        rows += [Row("runs", runs, "wall s", 2.0 * runs**0.5, "a sweep", load=3.0),
                 Row("runs", runs, "CPU s", 0.1 * runs, "a sweep", load=5.0)]
    rows += [Row("width", w, "Yat ÷ Linear+ReLU", 1.2, "a layer", 5, 1.0, 1.1, 1.3) for w in (64, 4096)]
    text = markdown(rows)
    assert "**runs** — a sweep; load 3.0–5.0" in text
    assert "| 1,000 | 63.2 | 100.0 |" in text
    assert "| k in cost ∝ runs^k [95 % CI] | 0.50 [0.50, 0.50] | 1.00 [1.00, 1.00] |" in text
    assert "| 4,096 | 1.20 (1.10–1.30) |" in text and "| k in cost ∝ width^k [95 % CI] | 0.00 |" in text
    table = list(csv.DictReader(csv_text(rows).splitlines()))
    assert list(table[0]) == CSV_COLUMNS and len(table) == len(rows)
    cpu = [r for r in table if r["series"] == "CPU s"]
    assert all(float(r["growth"]) == pytest.approx(1.0) and r["fit_points"] == "3" for r in cpu)
    assert table[-1]["growth_low"] == "" and table[-1]["q1"] == "1.1"  # two widths: a slope, no interval


# --- end to end -----------------------------------------------------------------------------------


def test_scaling_on_a_tiny_grid_writes_its_table(tmp_path: Path) -> None:
    """Real layers and real training steps on the bundled digits; only the shape of the output is checked."""
    result = subprocess.run([sys.executable, "-m", "yatbench", "bench", "--scaling", "width=4,8,16", "--scaling",
                             "depth=1,2,3", "--repeats", "3", "--threads", "1", "--out", str(tmp_path / "bench")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "| k in cost ∝ width^k [95 % CI] |" in result.stdout and "| k in cost ∝ depth^k" in result.stdout
    with (tmp_path / "bench" / "scaling.csv").open(newline="") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == CSV_COLUMNS
    assert {(r["axis"], int(r["work"])) for r in table} == {("width", w) for w in (4, 8, 16)} | {
        ("depth", d) for d in (1, 2, 3)}
    series = {r["series"] for r in table}
    assert {"Linear+ReLU ms", "Yat eager ms", "Yat eager ÷ Linear+ReLU", "ReLU ms/step", "Yat ms/step",
            "Yat ÷ ReLU"} <= series
    for row in table:
        assert float(row["value"]) > 0 and int(row["repeats"]) == 3 and row["fit_points"] == "3"
        assert float(row["growth_low"]) <= float(row["growth"]) <= float(row["growth_high"])
        assert ("÷" in row["series"]) == (row["q1"] != "")  # ratios carry their interquartile range
    assert [p.name for p in (tmp_path / "bench").iterdir()] == ["scaling.csv"]  # nothing else left behind
