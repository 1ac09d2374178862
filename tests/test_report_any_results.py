"""`yatbench report` finishes on any set of runs (hypothesis): 1 to 12 seeds, all or none solved, one
configuration or several, NaN/±inf metrics, missing columns, huge values, integers beyond any float,
damaged metrics.json / config.yaml / history.csv, and a history too large to read.

Run folders are written by the project's own writers (:func:`yatbench.run.execute.make_record` and
:func:`yatbench.run.execute.save_run`, from a composed and validated config and an untrained model), so they
are exactly what `yatbench run` leaves; damage is then done to the files as a disk or an editor would.
The property: the report is written (index.html, index.md, summary and claims tables), every run
folder is either read or listed as broken, and no figure, claim or table failed.

Drawing is most of a report's time (about 5 s for three configurations on two busy cores), so the
generated sets draw every figure made from the runs' metrics and histories (learning curves,
parameter budget, ...), and the figures drawn from the trained weights (decision regions,
compositional fits) are drawn on the fixed sets of the issue (3 and 10 seeds) and in tests/test_report.py;
the formula's figures do not depend on the runs and are drawn in tests/test_report.py.
YATBENCH_HYPOTHESIS_EXAMPLES=200 runs more examples (default 20); YATBENCH_SHRINK=1 shrinks a failure.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import os
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from yatbench.config.compose import compose_config
from yatbench.config.spec import RunSpec, validate
from yatbench.report import build_report
from yatbench.report.build import Report
from yatbench.report.guard import ERRORS_FILE
from yatbench.run.execute import make_record, save_run
from yatbench.rundir.results import HISTORY_MAX_BYTES
from yatbench.train.trainer import TrainResult

# The configurations a generated set draws from: two XOR models and a second size of one of them (a
# parameter-budget series), the other XOR encoding, and a regression dataset (a different headline).
CONFIGS = {
    "yat": ("xor", "yat", ("model.hidden=[1]",)),
    "relu2": ("xor", "relu", ("model.hidden=[2]",)),
    "relu4": ("xor", "relu", ("model.hidden=[4]",)),
    "linear-binary": ("xor", "linear", ("dataset.encoding=binary",)),
    "compositional-yat": ("compositional", "yat", ()),
    "compositional-relu8": ("compositional", "relu", ("model.hidden=[8]",)),
    "compositional-relu16": ("compositional", "relu", ("model.hidden=[16]",)),
}
# Values a metric may hold in a record (as json reads it back): NaN, ±inf, huge, tiny, an integer beyond
# any float (json reads 10**400 as a Python int), None; and "drop" removes the column from that run.
ODD = st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 1e300, 5e-324, -0.0, 10**400, None, "drop"])
DAMAGE = ("none", "metrics-truncated", "metrics-list", "metrics-bytes", "config-bad-yaml", "config-not-mapping",
          "history-garbage", "history-empty", "history-header-only", "history-absent", "history-too-large",
          "model-absent")


@functools.cache
def _composed(name: str) -> Any:
    """One configuration's composed config (Hydra composition takes 0.2 s: once per session)."""
    dataset, model, overrides = CONFIGS[name]
    return compose_config([f"dataset={dataset}", f"model={model}", "seed=0", "results_dir=/nonexistent",
                           "trainer.progress=false", *overrides])


@functools.cache
def _spec(name: str, seed: int) -> tuple[RunSpec, Any]:
    """The validated spec and data splits of one configuration and seed."""
    cfg = copy.deepcopy(_composed(name))
    cfg.seed = seed
    spec = validate(cfg)
    return spec, spec.dataset.load(seed)


@st.composite
def run_plans(draw: st.DrawFn) -> list[dict[str, Any]]:
    """What to write: per configuration, its seeds; per run, its outcome, odd metrics and damage."""
    names = draw(st.lists(st.sampled_from(sorted(CONFIGS)), min_size=1, max_size=3, unique=True))
    solved_share = draw(st.sampled_from([0.0, 1.0, 0.5]))  # none, all, or about half solved
    plans = []
    for name in names:
        for seed in range(draw(st.integers(1, 12))):
            solved = draw(st.booleans()) if solved_share == 0.5 else bool(solved_share)
            odd = draw(st.dictionaries(st.sampled_from(["test_accuracy", "test_loss", "train_loss", "test_mse",
                                                        "test_r2", "steps_to_solve", "test_max_prob"]),
                                       ODD, max_size=2)) if draw(st.booleans()) else {}
            damage = draw(st.sampled_from(DAMAGE)) if draw(st.integers(0, 5)) == 0 else "none"
            plans.append({"name": name, "seed": seed, "solved": solved, "odd": odd, "damage": damage,
                          "diverged": draw(st.integers(0, 9)) == 0,
                          "odd_history": draw(st.booleans()) and bool(odd)})
    return plans


def plain(name: str, seed: int, solved: bool) -> dict[str, Any]:
    """The plan of an ordinary finished run (no odd values, no damage)."""
    return {"name": name, "seed": seed, "solved": solved, "odd": {}, "damage": "none", "diverged": False,
            "odd_history": False}


def _metrics(plan: dict[str, Any], regression: bool) -> dict[str, Any]:
    if regression:
        metrics: dict[str, Any] = {"train_loss": 0.01 * (plan["seed"] + 1), "test_loss": 0.02, "test_mse": 0.02,
                                   "test_r2": 0.9 - 0.01 * plan["seed"], "headline": "mse"}
    else:
        accuracy = 1.0 if plan["solved"] else [0.5, 0.75, 0.25][plan["seed"] % 3]
        metrics = {"train_loss": 0.1, "test_loss": 0.1, "test_accuracy": accuracy, "test_max_prob": 0.8,
                   "solved": plan["solved"], "steps_to_solve": 100 + plan["seed"] if plan["solved"] else None,
                   "headline": "accuracy", "grad_norm_init_1": 0.1, "grad_norm_final_1": 1e-5}
    for key, value in plan["odd"].items():
        if value == "drop":
            metrics.pop(key, None)
        else:
            metrics[key] = value
    if plan["diverged"]:
        metrics = {k: v for k, v in metrics.items() if not k.startswith("test_")} | {"train_loss": math.nan}
    return metrics


def _history(metrics: dict[str, Any], odd: bool) -> list[dict[str, Any]]:
    keys = [k for k in ("train_loss", "test_loss", "test_accuracy", "test_mse", "test_max_prob") if k in metrics]
    rows = []
    for epoch in (10, 20, 30):
        row: dict[str, Any] = {"epoch": epoch, "step": epoch}
        for key in keys:
            value = metrics[key]
            row[key] = value if odd or not isinstance(value, (int, float)) else 0.5
        rows.append(row)
    return rows


def write_runs(results: Path, plans: list[dict[str, Any]]) -> list[str]:
    """Write every planned run folder with the project's writers, then damage some; their folder names."""
    folders = []
    for plan in plans:
        spec, splits = _spec(plan["name"], plan["seed"])
        spec = dataclasses.replace(spec, results_dir=results)
        torch.manual_seed(plan["seed"])
        model = spec.model.build(splits.in_features, splits.out_features)
        metrics = _metrics(plan, splits.task == "regression")
        result = TrainResult("diverged" if plan["diverged"] else "ok", _history(metrics, plan["odd_history"]),
                             metrics, steps=30, train_time_s=0.01, diverged_epoch=20 if plan["diverged"] else None)
        record = make_record(spec, splits, model, torch.device("cpu"), result)
        folder = save_run(spec, splits, model, record, result.history)
        damage(folder, plan["damage"])
        folders.append(folder.name)
    return folders


def damage(folder: Path, how: str) -> None:
    """Do to a run folder what a full disk, an editor or a runaway logger would."""
    metrics, config, history = folder / "metrics.json", folder / "config.yaml", folder / "history.csv"
    if how == "metrics-truncated":
        metrics.write_text(metrics.read_text()[: len(metrics.read_text()) // 2])
    elif how == "metrics-list":
        metrics.write_text("[1, 2, 3]\n")
    elif how == "metrics-bytes":
        metrics.write_bytes(b"\xff\xfe{\x00" * 10)
    elif how == "config-bad-yaml":
        config.write_text("dataset: {name: xor\n  model: [\n")
    elif how == "config-not-mapping":
        config.write_text("- just\n- a list\n")
    elif how == "history-garbage":
        history.write_bytes(b"epoch,step,train_loss\n\xff\xfe,,,,\n1,one,\"unterminated\n")
    elif how == "history-empty":
        history.write_text("")
    elif how == "history-header-only":
        history.write_text("epoch,step,train_loss,test_accuracy\n")
    elif how == "history-absent":
        history.unlink()
    elif how == "history-too-large":  # sparse: over the limit on disk without writing 32 MiB
        with history.open("r+b") as handle:
            handle.truncate(HISTORY_MAX_BYTES + 1)
    elif how == "model-absent":
        (folder / "model.pt").unlink()


RUN_INDEPENDENT = ("response_field", "territories")  # the formula's figures: the same for every set of runs
FROM_WEIGHTS = ("decision_regions xor", "compositional_fits")  # rebuilt from model.pt: slow to draw


def report_on(results: Path, weights: bool = False) -> Report:
    skip = RUN_INDEPENDENT if weights else RUN_INDEPENDENT + FROM_WEIGHTS
    return build_report(results, results / "report", figures_wanted=lambda name: name not in skip)


def check_finished(report: Report, folders: list[str]) -> None:
    """The report was written whole, read or listed every run, and nothing in it failed."""
    for name in ("index.html", "index.md", "summary.csv", "claims.csv", "runs.csv"):
        assert (report.out_dir / name).is_file(), name
    html = (report.out_dir / "index.html").read_text()
    assert html.rstrip().endswith("</html>") and "Verdicts at a glance" in html
    read = set(report.table.runs["run_id"]) if not report.table.empty else set()
    broken = {name for name, _ in report.table.broken}
    assert read | broken == set(folders) and not read & broken
    assert report.failures == [], "\n".join(f.line() + "\n" + f.trace for f in report.failures)
    assert not (report.out_dir / ERRORS_FILE).exists()


EXAMPLES = int(os.environ.get("YATBENCH_HYPOTHESIS_EXAMPLES", "20"))


# derandomize: the same examples on every run (a failure reproduces as is); database=None: no .hypothesis
# folder in the checkout; shrinking is bounded so that a failure is reported in seconds, not minutes.
SLOW = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate] + ([Phase.shrink] if os.environ.get("YATBENCH_SHRINK") else []),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


@SLOW
@given(plans=run_plans())
def test_report_finishes_on_any_set_of_runs(plans: list[dict[str, Any]], tmp_path_factory) -> None:
    results = tmp_path_factory.mktemp("any") / "results"
    results.mkdir()
    folders = write_runs(results, plans)
    check_finished(report_on(results), folders)


@pytest.mark.parametrize("seeds", [3, 10])
def test_all_and_none_solved_at_the_seed_counts_that_crashed(seeds: int, tmp_path: Path) -> None:
    """The issue's sweeps: 10/10 solved and 0/3 solved gave Wilson bounds outside their point (a negative
    error bar in the parameter-budget figure took the whole report down)."""
    results = tmp_path / "results"
    plans = [plain(name, seed, solved) for name, solved in (("yat", True), ("relu2", False), ("relu4", True))
             for seed in range(seeds)]
    folders = write_runs(results, plans)
    report = report_on(results, weights=seeds == 10)  # the figures from weights once: they take seconds
    check_finished(report, folders)
    drawn = {f.name for f in report.figures}
    assert {"param_budget_xor", "learning_curves_xor"} | ({"decision_regions_xor"} if seeds == 10 else set()) <= drawn


def test_a_figure_that_fails_is_named_and_the_rest_is_written(tmp_path: Path, monkeypatch, capsys) -> None:
    """The fault of issue 20 put back (Wilson's upper bound 1 − 1e-16 at 10/10): the parameter-budget figure
    fails, the report names it on stderr and on the page, keeps the traceback, and writes everything else."""
    from yatbench.report.console import print_report
    from yatbench.report.figures import curves

    def old_wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
        p, denom = k / n, 1 + z * z / n
        centre, half = (p + z * z / (2 * n)) / denom, z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        return max(0.0, centre - half), min(1.0, centre + half)

    monkeypatch.setattr(curves, "wilson", old_wilson)
    results = tmp_path / "results"
    write_runs(results, [plain(name, s, name == "yat") for s in range(10) for name in ("yat", "relu2", "relu4")])
    out = tmp_path / "rep"
    report = build_report(results, out, figures_wanted=lambda name: name not in RUN_INDEPENDENT + FROM_WEIGHTS)
    print_report(report)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "could not be made" in line]
    assert len(lines) == 1 and "param_budget xor" in lines[0] and "yerr" in lines[0], err
    assert "figures/curves.py" in lines[0] and len(report.failures) == 1
    page = (out / "index.html").read_text()
    assert "What could not be made" in page and "param_budget xor" in page
    assert "Traceback" in (out / ERRORS_FILE).read_text()
    written = {p.name for p in out.iterdir()}
    assert {"summary.csv", "xor.csv", "claims.csv", "learning_curves_xor.png", ERRORS_FILE} <= written
    assert "param_budget_xor.png" not in written
    assert [c.key for c in report.claims]  # the verdicts were still decided


def test_a_failure_message_with_brackets_is_printed_as_written(tmp_path: Path, capsys) -> None:
    """stderr shows the error text as is: rich markup in it ([/], [bold]) is neither applied nor an error."""
    from yatbench.report.console import print_report
    from yatbench.report.guard import Failure, attempt

    failures: list[Failure] = []
    attempt("claims", "odd", lambda: (_ for _ in ()).throw(ValueError("values [/] and [bold]x[/bold]")), failures)
    results = tmp_path / "results"
    write_runs(results, [plain("yat", 0, True)])
    report = report_on(results)
    report.failures = failures
    print_report(report)
    err = capsys.readouterr().err
    assert "claims 'odd' could not be made: ValueError: values [/] and [bold]x[/bold]" in err


def test_a_failure_is_located_in_yatbench_and_interrupts_are_not_caught() -> None:
    """A failure names the innermost yatbench frame (not the guard, not a library); Ctrl-C still ends the report."""
    from yatbench.report.guard import attempt
    from yatbench.report.stats import wilson

    failures: list = []
    assert attempt("figure", "bad count", lambda: wilson(5, 3), failures) is None
    assert attempt("figure", "fine", lambda: wilson(3, 3), failures) == (pytest.approx(0.4385, abs=1e-4), 1.0)
    (failure,) = failures
    assert failure.line().startswith("figure 'bad count' could not be made: ValueError: a success count needs")
    assert failure.where.startswith("yatbench/report/stats.py:") and failure.where.endswith("in wilson")

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        attempt("claims", "interrupted", interrupted, failures)
    assert len(failures) == 1


@pytest.fixture(scope="module")
def swept_xor(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2-2-1 and 2-4-1 ReLU nets on XOR, 2 seeds each: model.hidden is swept (a sweep figure and view)."""
    results = tmp_path_factory.mktemp("swept") / "results"
    write_runs(results, [plain(name, s, s == 0) for s in range(2) for name in ("relu2", "relu4")])
    return results


def _raises_after_half_a_file(frame: Any, path: Path) -> None:
    import pyarrow

    path.write_bytes(b"PAR1")  # what a writer interrupted by the error leaves
    raise pyarrow.ArrowInvalid("Could not convert 'a' with type str: tried to convert to int64")


def _raises(*_: Any) -> None:
    raise ValueError("values of an unexpected shape")


# (where the step is looked up, the failure's line, what the report lacks then)
STEPS = [("yatbench.report.build.write_parquet", "table 'runs.parquet'", "runs.parquet"),
         ("yatbench.report.build.provenance_table", "table 'provenance'", "provenance.csv"),
         ("yatbench.report.build.version_warnings", "check 'version_warnings'", None),
         ("yatbench.report.build.sweep_points", "view 'sweep_view xor'", None),
         ("yatbench.report.figures.sweep.metric_against_key", "figure 'sweep_figures'", "sweep_xor_model_hidden.png")]


@pytest.mark.parametrize(("target", "named", "lacking"), STEPS, ids=[s[1] for s in STEPS])
def test_a_report_step_that_fails_is_named_and_the_rest_is_written(swept_xor: Path, tmp_path: Path, target: str,
                                                                   named: str, lacking: str | None,
                                                                   monkeypatch) -> None:
    """Each report step outside the figures, claims and tables (runs.parquet, the provenance table, the version
    check, the sweep view) goes through the guard, and the view does not depend on the sweep figure. The step is
    made to raise by monkeypatching it: this tests the guard's wiring (records written by the project's own
    writers are checked on reading, so no real input is known to break these steps today)."""
    monkeypatch.setattr(target, _raises_after_half_a_file if target.endswith("write_parquet") else _raises)
    out = tmp_path / "rep"
    report = build_report(swept_xor, out, figures_wanted=lambda name: name == "sweep_figures")
    assert [f.line().split(" could not")[0] for f in report.failures] == [named]
    assert "Traceback" in (out / ERRORS_FILE).read_text()
    page = (out / "index.html").read_text()
    assert "What could not be made" in page and page.rstrip().endswith("</html>")
    written = {p.name for p in out.iterdir()}
    assert {"index.md", "runs.csv", "summary.csv", "claims.csv"} <= written
    assert lacking is None or lacking not in written  # nothing half-written is left
    expected = {"runs.parquet", "provenance.csv", "sweep_xor_model_hidden.png"} - {lacking}
    assert expected <= written
    assert ("<div class='sweepview'" in page) == (not target.endswith("sweep_points"))  # the view needs no figure
    assert ("Provenance</h3>" in page or "id='provenance'" in page) == (not target.endswith("provenance_table"))
