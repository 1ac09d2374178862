"""A sweep seen as a sweep (issue 23): the metric against every swept key, one point per configuration with
its interval and n; the interactive view of every configuration, inline and offline; `--where` with several
values draws every configuration it keeps and names each; sparklines carry their axes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.test_report import fabricate
from yatbench.report import build_report
from yatbench.report.html import sparkline
from yatbench.report.stats import summarize
from yatbench.report.subset import parse_where
from yatbench.report.sweepview import order_values, sweep_points

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
