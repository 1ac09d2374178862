"""What the report's figures draw and say: real runs of the composed config, shrunk, read back by the report.

Each test checks the content a reader relies on (which runs, which seeds, which numbers), not only
that a PNG was written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from yatbench.report import build_report

PROTOTYPE = ("model.hidden=[]", "model.readout=none")
SMALL_MNIST = ("dataset.source=bundled", "dataset.max_train=300", "dataset.max_test=100", "trainer.epochs=2",
               "dataset.preprocess=center")


def _figure(report, name: str):
    found = [f for f in report.figures if f.name == name]
    assert found, (name, [f.name for f in report.figures])
    return found[0]


@pytest.fixture(scope="module")
def mnist_runs(tmp_path_factory: pytest.TempPathFactory):
    """Yat prototypes and the linear classifier, 2 seeds each, on a small bundled MNIST (centred)."""
    from yatbench.config.compose import compose_config
    from yatbench.config.spec import validate
    from yatbench.run.execute import execute

    results = tmp_path_factory.mktemp("mnist") / "results"
    specs = []
    for seed in (0, 1):
        for model, extra in (("yat", PROTOTYPE), ("linear", ()), ("yat", (*PROTOTYPE, "model.kernel=square"))):
            cfg = compose_config(["dataset=mnist", f"model={model}", f"seed={seed}", f"results_dir={results}",
                                  "trainer.progress=false", *SMALL_MNIST, *extra])
            spec = validate(cfg)
            execute(spec)
            specs.append(spec)
    return results, specs  # yat, linear, square for seed 0, then for seed 1


@pytest.fixture(scope="module")
def mnist_report(mnist_runs):
    return build_report(mnist_runs[0])


def test_prototype_figure_draws_the_class_means_the_run_saved(mnist_runs, mnist_report) -> None:
    results, specs = mnist_runs
    yat = specs[0]
    record = json.loads((results / yat.run_id / "metrics.json").read_text())
    assert record["artifacts"] == {"class_means": "class_means.npy", "test_outcomes": "test_outcomes.npz"}
    saved = np.load(results / yat.run_id / "class_means.npy")
    splits = yat.dataset.load(yat.seed)  # the run's own (centred) inputs
    x, y = splits.x_train.numpy(), splits.y_train.numpy()
    assert saved.shape == (10, 784)
    np.testing.assert_allclose(saved[3], x[y == 3].mean(0), atol=1e-5)
    assert abs(float(saved.mean())) < 1e-4  # centred: the mean image was removed before averaging

    figure = _figure(mnist_report, "prototypes_mnist_1")
    assert "Top row: the mean training image of each class" in figure.caption and not figure.notes
    # names its configuration: preprocessing, budget, seeds drawn of which, seedless key
    assert "preprocessing center" in figure.caption and "2 epochs of adam" in figure.caption
    assert f"yat seed 0 of seeds 0,1 (7,851 params, configuration `{yat.seedless_key}`)" in figure.caption
    assert f"linear seed 0 of seeds 0,1 (7,850 params, configuration `{specs[1].seedless_key}`)" in figure.caption
    assert f"yat (square) seed 0 of seeds 0,1 (7,851 params, configuration `{specs[2].seedless_key}`)" \
        in figure.caption


def test_prototype_figure_of_an_old_run_without_class_means_says_so(mnist_runs, tmp_path: Path) -> None:
    import shutil

    results, specs = mnist_runs
    old = tmp_path / "results"
    shutil.copytree(results, old, ignore=shutil.ignore_patterns("report"))
    for spec in specs:  # as an older yatbench wrote them: no class means, no artifacts entry
        (old / spec.run_id / "class_means.npy").unlink()
        path = old / spec.run_id / "metrics.json"
        record = json.loads(path.read_text())
        del record["artifacts"]
        path.write_text(json.dumps(record))
    report = build_report(old)
    assert not report.table.broken
    figure = _figure(report, "prototypes_mnist_1")
    assert "saved no class means" in figure.caption and "Top row" not in figure.caption
    assert figure.notes and "saved no class means" in figure.notes[0]


def test_a_record_naming_an_unknown_artifact_is_broken(mnist_runs, tmp_path: Path) -> None:
    import shutil

    results, specs = mnist_runs
    old = tmp_path / "results"
    shutil.copytree(results, old, ignore=shutil.ignore_patterns("report"))
    path = old / specs[0].run_id / "metrics.json"
    record = json.loads(path.read_text())
    record["artifacts"] = {"class_means": "../../elsewhere.npy"}
    path.write_text(json.dumps(record))
    report = build_report(old)
    assert [name for name, why in report.table.broken if re.search("artifacts", why)] == [specs[0].run_id]


def test_learning_curves_of_the_prototype_classifiers_state_the_late_change(mnist_runs, mnist_report) -> None:
    """One panel per setting; the caption and the MNIST claim give the change over the last epochs, per seed
    averaged, with its t interval — the number computed here by hand from history.csv."""
    import pandas as pd

    from yatbench.report.stats import summarize

    results, specs = mnist_runs
    report = mnist_report
    figure = _figure(report, "learning_curves_prototypes_mnist")
    assert "band = ±1 sample sd" in figure.caption
    for name, runs in (("yat", specs[0::3]), ("linear", specs[1::3]), ("square", specs[2::3])):
        changes = []
        for spec in runs:
            history = pd.read_csv(results / spec.run_id / "history.csv").set_index("epoch")["test_accuracy"]
            changes.append(history[2] - history[1])
        s = summarize(changes)
        expected = f"Δ epoch 1→2 {s.mean:+.4f}, 95% CI {s.fmt_ci(4)} (n = 2): "
        assert f"preprocessing center, {name}: {expected}" in figure.caption
        verdict = ("still improving" if s.lo > 0 else "still getting worse" if s.hi < 0
                   else "no clear change (CI spans 0)")
        assert f"{expected}{verdict}" in figure.caption
    claim = next(c for c in report.claims if c.key == "prototype_accuracy")
    plateau = next(n for n in claim.notes if n.startswith("has training plateaued?"))
    assert "yat Δ epoch 1→2" in plateau and "linear Δ epoch 1→2" in plateau and "square alone Δ epoch 1→2" in plateau
    square = summarize([json.loads((results / spec.run_id / "metrics.json").read_text())["metrics"]["test_accuracy"]
                        for spec in specs[2::3]])
    ablation = next(n for n in claim.notes if n.startswith("ablation kernels trained alike, test accuracy"))
    assert f"the square alone, α(w·x + b)²: {square.fmt(3)} (n = 2)" in ablation


def test_yat_minus_linear_by_budget_is_read_from_the_runs_history(mnist_runs, mnist_report) -> None:
    """The MNIST claim and the budget figure give acc(yat) − acc(linear) with its Welch interval at each budget,
    read from history.csv — the numbers recomputed here by hand, per epoch, from the runs' own files."""
    import pandas as pd

    from yatbench.report.stats import fmt_interval, welch_diff

    results, specs = mnist_runs

    def at(spec, epoch: int) -> float:
        return float(pd.read_csv(results / spec.run_id / "history.csv").set_index("epoch")["test_accuracy"][epoch])

    expected = {}
    for epoch in (1, 2):
        diff, lo, hi = welch_diff([at(s, epoch) for s in specs[0::3]], [at(s, epoch) for s in specs[1::3]])
        expected[epoch] = (diff, lo, hi)
    # the final budget is the run's final metric
    final = [json.loads((results / s.run_id / "metrics.json").read_text())["metrics"]["test_accuracy"]
             for s in specs[0::3]]
    assert final == pytest.approx([at(s, 2) for s in specs[0::3]])

    claim = next(c for c in mnist_report.claims if c.key == "prototype_accuracy")
    note = next(n for n in claim.notes if n.startswith("verdict by training budget"))
    assert "n = 2, 2" in note
    for epoch, (diff, lo, hi) in expected.items():
        # 2 seeds a side: below the claims' minimum of 3, so no budget gets a verdict
        assert f"epoch {epoch}: {diff:+.3f} {fmt_interval(lo, hi)} not enough data (fewer than 3 seeds)" in note
    assert note.endswith("the same verdict at every budget read")

    figure = _figure(mnist_report, "prototype_budget_mnist")
    assert figure.path.exists() and "band = Welch 95% CI" in figure.caption
    marks = ", ".join(f"epoch {e} {d:+.3f} {fmt_interval(lo, hi)}" for e, (d, lo, hi) in expected.items())
    assert f"center: {marks}" in figure.caption


def test_budgets_every_fifth_epoch_then_every_tenth_and_the_last() -> None:
    from yatbench.report.measures import budgets

    assert budgets(list(range(1, 21))) == [5, 10, 15, 20]
    assert budgets(list(range(1, 43))) == [10, 20, 30, 40, 42]
    assert budgets([1, 2]) == [1, 2]
    assert budgets([]) == []


@pytest.fixture(scope="module")
def xor_report(tmp_path_factory: pytest.TempPathFactory):
    """A shrunk `xor` preset (±1): one Yat neuron with kernels yat and square, relu [2] and [4], linear; 4 seeds."""
    from yatbench.config.compose import compose_config
    from yatbench.config.spec import validate
    from yatbench.run.execute import execute_seeds

    results = tmp_path_factory.mktemp("xor") / "results"
    grid = [("yat", "model.hidden=[1]", "model.kernel=yat"), ("yat", "model.hidden=[1]", "model.kernel=square"),
            ("relu", "model.hidden=[2]"), ("relu", "model.hidden=[4]"), ("linear",)]
    for model, *extra in grid:
        specs = [validate(compose_config(["dataset=xor", f"model={model}", f"seed={seed}", f"results_dir={results}",
                                          "trainer.progress=false", "trainer.epochs=300", *extra]))
                 for seed in range(4)]
        execute_seeds(specs)
    return build_report(results)


def test_xor_budget_figure_plots_solve_rates_with_wilson_intervals_per_configuration(xor_report) -> None:
    from yatbench.report.context import configurations
    from yatbench.report.stats import wilson

    figure = _figure(xor_report, "param_budget_xor")
    runs = xor_report.table.runs
    assert "dashed line: the one-neuron claim's threshold, solved on 50% of seeds" in figure.caption
    for frame in configurations(runs):  # every configuration is its own point: the kernels are never pooled
        k, n = int(frame["solved"].astype(bool).sum()), len(frame)
        lo, hi = wilson(k, n)
        assert 0 <= lo <= k / n <= hi <= 1
        point = f"{int(frame['params'].iloc[0])} params {k}/{n} solved [{lo:.2f}, {hi:.2f}]"
        model, kernel = frame["model"].iloc[0], frame["model.kernel"].iloc[0] if frame["model"].iloc[0] == "yat" else ""
        label = f"{model} (kernel={kernel}): " if kernel else f"{model}: "
        assert re.search(re.escape(label) + r"[^;]*" + re.escape(point), figure.caption), (label, point)


def test_figures_draw_the_real_yat_kernel_not_an_ablation(xor_report) -> None:
    regions = _figure(xor_report, "decision_regions_xor")
    assert re.search(r"yat: [^;]*model\.kernel=yat", regions.caption)


def test_budget_ticks_leave_out_sizes_that_would_overlap() -> None:
    from yatbench.report.figures.curves import _spaced_ticks
    from yatbench.report.style import pyplot

    plt = pyplot()
    fig, ax = plt.subplots()
    ax.set_xscale("log")
    _spaced_ticks(ax, [7850, 7851, 7960, 17270, 17501, 34196, 69176])
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["7,850", "17,270", "34,196", "69,176"]
    assert not any(t.get_text() for t in ax.get_xticklabels(minor=True))
    plt.close(fig)


def test_compositional_fits_draw_each_model_at_its_median_seed(spec_for, tmp_path: Path) -> None:
    from yatbench.report.figures.compositional import median_seed
    from yatbench.run.execute import execute

    for model in ("yat", "relu"):
        for seed in range(3):
            execute(spec_for("compositional", model, f"seed={seed}", "trainer.epochs=20", "dataset.n=200"))
    report = build_report(tmp_path / "results")
    figure = _figure(report, "compositional_fits")
    runs = report.table.runs
    for model in ("yat", "relu"):
        frame = runs[runs["model"] == model].sort_values("test_mse")
        middle = int(frame["seed"].iloc[1])  # 3 seeds: the middle one by test MSE
        assert median_seed(frame) == middle
        mse = float(frame["test_mse"].iloc[1])
        assert f"{model} (" in figure.caption and f"seed {middle} of seeds 0–2, test MSE {mse:.3g}" in figure.caption
    assert "median" in figure.title
