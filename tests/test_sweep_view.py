"""A sweep seen as a sweep (issue 23): the metric against every swept key, one point per configuration with
its interval and n; the interactive view of every configuration, inline and offline; `--where` with several
values draws every configuration it keeps and names each; sparklines carry their axes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.test_report import fabricate
from yatbench.report import build_report
from yatbench.report.context import Context
from yatbench.report.figures.sweep import metric_against_key
from yatbench.report.html import sparkline
from yatbench.report.load import RunTable
from yatbench.report.stats import summarize
from yatbench.report.subset import parse_where
from yatbench.report.sweepview import SweepPoints, order_values, sweep_points

LRS = ("0.1", "0.01", "0.001")
MSE = {("0.1", "[8]"): [3.0, 4.0, 8.0], ("0.01", "[8]"): [1.0, 2.0, 3.0], ("0.001", "[8]"): [2.0, 2.5, 6.0],
       ("0.01", "[16]"): [0.5, 0.75, 1.5]}


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory):
    """relu on the compositional toy swept over trainer.lr (3 values) and model.hidden (2), 3 seeds each;
    yat at one setting (nothing swept)."""
    results = tmp_path_factory.mktemp("sweep") / "results"
    for (lr, hidden), values in MSE.items():
        for seed, mse in enumerate(values):
            fabricate(results, "compositional", "relu", seed, {"test_mse": mse, "test_r2": 1 - mse / 10},
                      f"trainer.lr={lr}", f"model.hidden={hidden}", weights=False)
    for seed in range(3):
        fabricate(results, "compositional", "yat", seed, {"test_mse": 1.0 + seed, "test_r2": 0.8}, weights=False)
    return results


@pytest.fixture(scope="module")
def swept_report(swept: Path):
    return build_report(swept, swept.parent / "page")


def test_swept_keys_and_points_are_the_configurations_with_their_intervals(swept_report) -> None:
    report = swept_report
    sweep = sweep_points(report.table.runs, "compositional")
    assert sweep is not None and sorted(sweep.keys) == ["model.hidden", "trainer.lr"]
    assert len(sweep.points) == len(MSE) + 1  # every configuration is one point, nothing pooled
    for (lr, hidden), values in MSE.items():
        point = sweep.points[(sweep.points["trainer.lr"] == lr) & (sweep.points["model.hidden"] == hidden)]
        assert len(point) == 1
        expected = summarize(values)
        assert point["n"].iloc[0] == 3 and point["mean"].iloc[0] == pytest.approx(sum(values) / 3)
        assert (point["lo"].iloc[0], point["hi"].iloc[0]) == pytest.approx((expected.lo, expected.hi))
    assert order_values(["0.1", "0.001", "0.01"]) == ["0.001", "0.01", "0.1"]
    assert order_values(["[16]", "[8]", "[8,8]"]) == ["[8]", "[16]", "[8,8]"]


def test_the_report_draws_the_metric_against_each_swept_key(swept_report) -> None:
    report = swept_report
    figures = {f.name: f for f in report.figures}
    lr = figures["sweep_compositional_trainer_lr"]
    assert lr.path.read_bytes()[:4] == b"\x89PNG" and lr.section == "sweep"
    # the series along lr holds hidden=[8] fixed (three points); each point names its configuration and n
    keys = set(report.table.runs.loc[report.table.runs["model.hidden"] == "[8]", "variant"])
    assert all(key in lr.caption for key in keys) and "n=3" in lr.caption and "hidden=[8]" in lr.caption
    assert "sweep_compositional_model_hidden" in figures  # lr=0.01 holds two hidden sizes
    page = report.index_html.read_text()
    assert "Sweeps: the metric against each swept setting" in page and "<img" in page
    data = json.loads(re.search(r"<div class='sweepview'[^>]*>.*?<script type='application/json'>(.*?)</script>",
                                page, flags=re.S).group(1))
    assert data["metric"] == "test_mse" and data["lower"] is True and len(data["rows"]) == len(MSE) + 1
    ids = set(re.findall(r"""\sid=['"]([^'"]+)""", page))
    assert all(row["href"][1:] in ids for row in data["rows"])  # each line links to its configuration's runs
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    network = r"https?://(?!www\.w3\.org/2000/svg')|\bsrc=|fetch\(|XMLHttpRequest"  # the SVG namespace is a name
    assert scripts and not any(re.search(network, s) for s in scripts)
    assert "every configuration" in report.index_md.read_text()


def test_where_with_several_values_draws_every_configuration_and_names_it(swept: Path) -> None:
    report = build_report(swept, swept.parent / "page3", parse_where(["trainer.lr=0.1,0.01", "model=relu"]))
    curves = next(f for f in report.figures if f.name == "learning_curves_compositional")
    kept = dict.fromkeys(report.table.runs["variant"])
    assert len(kept) == 3 and all(key in curves.caption for key in kept)
    assert "every configuration" in curves.caption
    assert "trainer.lr=0.1" in curves.caption and "trainer.lr=0.01" in curves.caption


def test_sparklines_have_axes() -> None:
    svg = sparkline([1, 2, 3, 4], [0.9, 0.5, 0.25, 0.125])
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert {"0.9", "0.125", "1", "4", "step"} <= set(labels)
    assert "<path d='M" in svg and "polyline" in svg
    assert "fewer than 2" in sparkline([1], [1.0])


def _view_rows(page: str, dataset: str) -> list[dict]:
    """The rows of one dataset's interactive view, as the page's script reads them."""
    match = re.search(rf"<div class='sweepview' data-dataset='{dataset}'>.*?<script type='application/json'>"
                      r"(.*?)</script>", page, flags=re.S)
    assert match, f"no interactive view of {dataset}"
    return json.loads(match.group(1))["rows"]


def test_a_huge_metric_costs_no_sweep_figure_and_a_tiny_one_keeps_its_value(tmp_path: Path) -> None:
    """An MSE of 1e308 (finite, beyond what matplotlib can draw) on one configuration: both datasets' sweep
    figures and views are still made, the point is left out and counted; MSEs of 1e-9 reach the view's log
    axis as themselves (6 significant digits), not rounded to 0. (On the figure's log axis 1e308 happened to
    draw before; on a linear axis it did not: the next test.)"""
    results = tmp_path / "results"
    values = {"0.1": [1e308, 1e308], "0.01": [1e-9, 3e-9], "0.001": [2.5e-7, 4.5e-7]}
    for lr, mses in values.items():
        for seed, mse in enumerate(mses):
            fabricate(results, "compositional", "relu", seed, {"test_mse": mse, "test_r2": 0.5},
                      f"trainer.lr={lr}", weights=False)
        fabricate(results, "xor", "relu", 0, {"test_accuracy": 0.75}, f"trainer.lr={lr}", weights=False)
    report = build_report(results, tmp_path / "page", figures_wanted=lambda name: name == "sweep_figures")
    assert not report.failures, [f.line() for f in report.failures]
    figures = {f.name: f for f in report.figures}
    assert {"sweep_compositional_trainer_lr", "sweep_xor_trainer_lr"} <= set(figures)
    assert "3 value(s) (means or interval ends) not finite or beyond" in figures[
        "sweep_compositional_trainer_lr"].caption  # the mean 1e308 and both ends of its interval
    assert "not finite" not in figures["sweep_xor_trainer_lr"].caption
    page = report.index_html.read_text()
    rows = {row["values"][0]: row for row in _view_rows(page, "compositional")}
    for lr in ("0.01", "0.001"):
        expected = summarize(values[lr])
        assert rows[lr]["mean"] == pytest.approx(expected.mean, rel=1e-5) and rows[lr]["mean"] > 0
        assert (rows[lr]["lo"], rows[lr]["hi"]) == pytest.approx((expected.lo, expected.hi), rel=1e-5)
    assert rows["0.1"]["mean"] == pytest.approx(1e308, rel=1e-5)  # finite: in the view and its table
    assert len(_view_rows(page, "xor")) == 3


@pytest.mark.parametrize("lower", [False, True])
def test_an_interval_beyond_the_float_range_is_not_drawn_on_either_axis(tmp_path: Path, lower: bool) -> None:
    """Seeds at 1 and 1.7e308 give a finite mean and an infinite interval; on a linear axis matplotlib could not
    even lay the figure out (ValueError: arange). The mean is beyond ±DRAWABLE too: all three are counted."""
    rows = []
    for i, (lr, seeds) in enumerate([("0.1", [1.0, 1.7e308]), ("0.01", [0.5, 0.7]), ("0.001", [0.25, 0.5])]):
        stat = summarize(seeds)
        rows.append({"model": "relu", "variant": f"v{i}", "label": f"trainer.lr={lr}", "trainer.lr": lr, "n": stat.n,
                     "mean": stat.mean, "lo": stat.lo, "hi": stat.hi, "seeds": "0-1"})
    points = pd.DataFrame(rows)
    sweep = SweepPoints("compositional", ["trainer.lr"], "test_mse", lower, points)
    ctx = Context(RunTable(tmp_path, pd.DataFrame()), {}, tmp_path)
    figure = metric_against_key(ctx, sweep, "trainer.lr")
    assert figure is not None and figure.path.read_bytes()[:4] == b"\x89PNG"
    assert "3 value(s) (means or interval ends) not finite or beyond ±1e+300 are not drawn" in figure.caption
