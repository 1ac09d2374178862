"""Verdicts you can trust: one identity per run, no pooling across configurations, the report reads
only what it can check and imports nothing a results folder names, bounded intervals stay in [0, 1]."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from yatbench.config.compose import compose_config
from yatbench.config.spec import validate
from yatbench.report import build_report
from yatbench.report.load import load_runs
from yatbench.report.stats import NONNEGATIVE, summarize
from yatbench.run.execute import execute
from yatbench.sweep.jobs import execute_grouped

# The seed texts are not part of the repository (each claim carries its quotes and their source): the quotes are
# checked against them when they are present — the folder YATBENCH_SEEDS names, else a ``seeds/`` folder beside
# the repository — and the check is skipped, saying so, otherwise.
SEEDS_DIR = (Path(os.environ["YATBENCH_SEEDS"]) if os.environ.get("YATBENCH_SEEDS")
             else Path(__file__).resolve().parents[2] / "seeds")


def _sweep(results: Path, dataset: str, seeds: int, *overrides: str) -> None:
    execute_grouped([validate(compose_config([f"dataset={dataset}", f"seed={s}", f"results_dir={results}",
                                              "trainer.progress=false", *overrides])) for s in range(seeds)])


def _claims_about(report, keys: set[str]) -> dict[tuple[str, str], tuple[str, str]]:
    return {(c.key, c.config): (c.verdict, c.evidence) for c in report.claims if c.config and c.key in keys}


def test_other_learning_rates_never_change_the_xor_verdict(tmp_path: Path) -> None:
    """`sweep xor` then `sweep xor trainer.lr=0.05` into one folder: the first configuration's claims stay."""
    results = tmp_path / "results"
    base = ("model=yat", "model.hidden=[1]", "trainer.epochs=100")
    for encoding in ("pm1", "binary"):
        _sweep(results, "xor", 3, *base, f"dataset.encoding={encoding}")
        _sweep(results, "xor", 3, "model=relu", "model.hidden=[2]", "trainer.epochs=100",
               f"dataset.encoding={encoding}")
    keys = {"xor_one_neuron_pm1", "xor_one_neuron_binary", "xor_vs_relu"}
    before = _claims_about(build_report(results, tmp_path / "r1"), keys)
    assert len(before) == 3
    for encoding in ("pm1", "binary"):
        _sweep(results, "xor", 3, *base, f"dataset.encoding={encoding}", "trainer.lr=0.05")
    after = build_report(results, tmp_path / "r2")
    assert {k: v for k, v in _claims_about(after, keys).items() if k in before} == before
    new = [c for c in after.claims if c.key == "xor_one_neuron_pm1" and (c.key, c.config) not in before]
    assert len(new) == 1 and "trainer.lr=0.05" in new[0].setting and "/ 3 seeds" in new[0].evidence


def test_a_stray_mnist_run_never_changes_the_prototype_claims(tmp_path: Path) -> None:
    """A stray `run mnist --model yat` before `sweep paper` leaves the inversion claims as they were."""
    results = tmp_path / "results"
    small = ("dataset.source=bundled", "dataset.max_train=200", "dataset.max_test=100", "trainer.epochs=1")
    for model in ("model=yat", "model=linear"):
        _sweep(results, "inversion", 3, model, *small)
    keys = {"prototype_accuracy", "prototypes_digits", "prototypes_orthogonal", "inversion_sign_inverted"}
    before = _claims_about(build_report(results, tmp_path / "r1"), keys)
    assert {k for k, _ in before} == keys
    execute(validate(compose_config(["dataset=mnist", "model=yat", f"results_dir={results}",
                                     "trainer.progress=false", *small])))
    after = _claims_about(build_report(results, tmp_path / "r2"), keys)
    assert {k: v for k, v in after.items() if k in before} == before


@pytest.fixture(scope="module")
def one_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    results = tmp_path_factory.mktemp("one") / "results"
    spec = validate(compose_config(["dataset=xor", "model=yat", f"results_dir={results}", "trainer.epochs=20",
                                    "trainer.progress=false"]))
    return execute(spec).run_dir


@pytest.mark.parametrize(("change", "reason"), [
    ({"metrics": {}}, "no test metric"),
    ({"status": "exploded"}, "unknown status"),
    ({"params": -5}, "params -5"),
    ({"params": "many"}, "params 'many'"),
    ({"data": None}, "data facts are missing"),
])
def test_a_record_that_fails_its_checks_is_listed_as_broken(one_run: Path, tmp_path: Path, change: dict,
                                                            reason: str) -> None:
    import shutil

    results = tmp_path / "results"
    folder = results / one_run.name
    shutil.copytree(one_run, folder)
    record = json.loads((folder / "metrics.json").read_text())
    (folder / "metrics.json").write_text(json.dumps({**record, **change}))
    report = build_report(results, tmp_path / "out")
    assert report.table.empty and reason in dict(report.table.broken)[one_run.name]


def test_a_config_that_is_not_a_mapping_is_listed_as_broken(one_run: Path, tmp_path: Path) -> None:
    import shutil

    results = tmp_path / "results"
    folder = results / one_run.name
    shutil.copytree(one_run, folder)
    (folder / "config.yaml").write_text("dataset: 5\nmodel: {name: yat}\ntrainer: {}\nseed: 0\n")
    report = build_report(results, tmp_path / "out")
    assert "dataset is 5" in dict(report.table.broken)[one_run.name]


def test_the_report_never_imports_a_module_named_in_a_results_folder(one_run: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    results = tmp_path / "results"
    folder = results / one_run.name
    shutil.copytree(one_run, folder)
    marker = tmp_path / "imported"
    (tmp_path / "evil_module.py").write_text(f"open({str(marker)!r}, 'w').write('x')\nclass Thing: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    config = (folder / "config.yaml").read_text().replace("yatbench.models.yat.YatConfig", "evil_module.Thing")
    (folder / "config.yaml").write_text(config)
    edited = build_report(results, tmp_path / "out")  # hand-edited: damaged, not read at all
    assert edited.table.empty and "hash" in dict(edited.table.broken)[one_run.name]
    _consistent(folder)  # as a writer of such folders would make them: the id and record follow the config
    report = build_report(results, tmp_path / "out")
    assert not report.table.empty and not report.table.broken
    assert not marker.exists() and "evil_module" not in sys.modules
    assert any("not one of yatbench's config targets" in line for line in report.skipped)


def _consistent(folder: Path) -> Path:
    """Rename a run folder whose config.yaml was changed, and rewrite its record, so that the config hashes to
    the run id again (what `yatbench run` would have written for that config)."""
    from omegaconf import OmegaConf

    from yatbench.core.identity import config_hash

    digest = config_hash(OmegaConf.to_container(OmegaConf.create((folder / "config.yaml").read_text())))
    name = f"{folder.name.rsplit('-', 1)[0]}-{digest}"
    record = json.loads((folder / "metrics.json").read_text())
    (folder / "metrics.json").write_text(json.dumps({**record, "run_id": name, "config_hash": digest}))
    return folder.rename(folder.with_name(name))


def test_bounded_intervals_stay_inside_zero_one() -> None:
    values = [1.0, 1.0, 0.9, 1.0]
    plain, bounded = summarize(values), summarize(values, bounded=True)
    assert plain.hi > 1.0  # Student t passes 1
    assert 0.0 <= bounded.lo <= bounded.mean <= bounded.hi <= 1.0 and bounded.method == "t, truncated to [0, 1]"
    assert bounded.lo == pytest.approx(plain.lo) and bounded.hi == 1.0  # the same t interval, cut at 1


def test_a_retention_interval_never_goes_below_zero() -> None:
    # Retention (inverted / clean accuracy) is ≥ 0 but may pass 1: measured, pixel-inverted retention
    # of the linear layer under no preprocessing had a plain t interval of [−0.006, 0.073].
    values = [0.0, 0.0, 0.08, 0.01, 0.02]
    plain, cut = summarize(values), summarize(values, bounded=NONNEGATIVE)
    assert plain.lo < 0.0 and cut.lo == 0.0 and cut.hi == pytest.approx(plain.hi)
    assert cut.method == "t, truncated to [0, ∞)"
    above_one = summarize([1.2, 1.3, 1.1], bounded=NONNEGATIVE)
    assert above_one.hi > 1.0  # a ratio may exceed 1: only the floor applies
    with pytest.raises(ValueError, match="needs values in"):
        summarize([-0.1, 0.2], bounded=NONNEGATIVE)


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"the seed texts are not here ({SEEDS_DIR} is no folder): put "
                    "them in seeds/ beside the repository, or set YATBENCH_SEEDS to their folder, to check the quotes")
def test_every_quote_is_verbatim_in_its_seed_file(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    report = build_report(results)
    quotes = {q for c in report.claims for q in c.quotes}
    assert len(quotes) >= 6
    for quote in quotes:
        text = (SEEDS_DIR / Path(str(quote).split(":")[0]).name).read_text()
        assert " ".join(quote.words.split()) in " ".join(text.split()), quote


def test_preprocessing_and_data_facts_are_recorded(spec_for) -> None:
    outcome = execute(spec_for("mnist", "linear", "dataset.source=bundled", "dataset.max_train=100",
                               "dataset.max_test=50", "trainer.epochs=1", "dataset.preprocess=standardize"))
    facts = outcome.record["data"]
    assert facts["preprocess"] == "standardize" and facts["image_shape"] == [28, 28]
    assert (facts["in_features"], facts["out_features"], facts["n_train"]) == (784, 10, 90)  # 10 held out
    assert (facts["n_val"], facts["val_kind"]) == (10, "holdout")
    assert outcome.record["seedless_key"] != outcome.record["config_hash"]


def test_a_config_edited_by_hand_is_damaged_for_the_report_as_for_run(one_run: Path, tmp_path: Path) -> None:
    """A config.yaml that still reads well but no longer hashes to the run id (a learning rate edited by hand) is
    not the config the numbers came from: `yatbench run` calls the folder damaged and reruns it, and the report
    lists it as broken with the same reason instead of reporting its numbers under the edited config."""
    import shutil

    from yatbench.rundir.results import damage

    results = tmp_path / "results"
    folder = results / one_run.name
    shutil.copytree(one_run, folder)
    text = (folder / "config.yaml").read_text()
    assert "  lr: " in text
    (folder / "config.yaml").write_text(text.replace("  lr: ", "  lr: 0.5  # was ", 1))
    reason = damage(folder)
    assert reason is not None and "hash" in reason
    table = load_runs(results)
    assert table.empty and reason in dict(table.broken)[one_run.name]
    assert damage(one_run) is None and not load_runs(one_run.parent).broken  # the untouched run reads as before
