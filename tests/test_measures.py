"""Measurements are discovered: each declares what it needs and what it records, and a run measures every one
that applies (yatbench/measures/). A new measurement is one new module, picked up by a real run; a run of a
model measures it without loading the others' models.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch

import yatbench.measures
from yatbench.config.compose import compose_config, option_names
from yatbench.config.spec import RunSpec, validate
from yatbench.core.record import ARTIFACTS
from yatbench.measures import measurements
from yatbench.measures.base import NEEDS, Measured, Measurement, UndeclaredNeed
from yatbench.measures.labour import is_gated_experts
from yatbench.nn.stacked import backend_of
from yatbench.run.execute import build_model, execute, load_data, run_values, state_copy
from yatbench.train.trainer import train

TESTS = Path(__file__).resolve().parent

# Tiny real runs that, between them, every measurement applies to (the test below fails for one that applies
# to none: give it a tiny run here).
SAMPLES = {
    "xor yat": ["dataset=xor", "model=yat", "trainer.epochs=20"],
    "compositional attention": ["dataset=compositional", "model=attention", "model.experts=3", "dataset.n=120",
                                "trainer.epochs=5"],
    "inversion linear": ["dataset=inversion", "model=linear", "dataset.source=bundled", "dataset.max_train=200",
                         "dataset.max_test=50", "trainer.epochs=2"],
}


def spec(results: Path, overrides: list[str]) -> RunSpec:
    return validate(compose_config([*overrides, f"results_dir={results}", "trainer.progress=false", "device=cpu"]))


def finished(run: RunSpec) -> dict[str, Any]:
    """What a run hands its measurements after training (``yatbench.run.execute.measure``)."""
    device = torch.device("cpu")
    splits = load_data(run)
    model = build_model(run, splits, device)
    initial_state = state_copy(model)
    [result] = train([model], [splits], run.trainer, device, [run.seed], label="test")
    assert result.status == "ok"
    return run_values(run, splits, model, initial_state, result)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    results = tmp_path_factory.mktemp("measures")
    return {name: finished(spec(results, overrides)) for name, overrides in SAMPLES.items()}


@pytest.mark.parametrize("m", measurements(), ids=lambda m: m.name)
def test_a_measurement_reads_only_what_it_needs_and_records_only_what_it_declares(
        m: Measurement, runs: dict[str, dict[str, Any]]) -> None:
    assert m.needs and m.needs <= set(NEEDS)
    assert m.records or m.artifacts, "a measurement records something"
    assert set(m.artifacts) <= set(ARTIFACTS)
    applying = [name for name, values in runs.items() if m.applies(m.given(values))]
    assert applying, f"{m.name} applies to none of the tiny runs: add one it applies to (SAMPLES)"
    for name in applying:
        # The Given holds only what it declared: reading anything else raises UndeclaredNeed.
        got = m.measure(m.given(runs[name]))
        measured = got if isinstance(got, Measured) else Measured(got)
        assert measured.metrics or measured.artifacts, f"{m.name} measured nothing on {name}"
        assert all(m.records_name(metric) for metric in measured.metrics), (name, sorted(measured.metrics))
        assert set(measured.artifacts) <= set(m.artifacts)
        for metric, value in measured.metrics.items():
            assert value is None or isinstance(value, bool) or math.isfinite(value), (metric, value)


def test_every_measurement_has_its_own_name() -> None:
    names = [m.name for m in measurements()]
    assert len(names) == len(set(names)) and {"gradients", "labour", "prototypes", "weight_negation"} <= set(names)


def test_reading_an_undeclared_need_or_recording_an_undeclared_name_is_refused(runs) -> None:
    values = runs["xor yat"]
    sneaky = Measurement("sneaky", frozenset({"data"}), ("n",),
                         lambda given: {"n": len(list(given.model.parameters()))})
    with pytest.raises(UndeclaredNeed, match="'sneaky' reads 'model' without declaring it"):
        sneaky.run(values)
    stray = Measurement("stray", frozenset({"data"}), ("n_train",), lambda given: {"n_test": len(given.data.x_test)})
    with pytest.raises(ValueError, match=r"'stray' recorded \['n_test'\]"):
        stray.run(values)
    with pytest.raises(ValueError, match="needs \\['weights'\\]"):
        Measurement("odd", frozenset({"weights"}), ("x",), lambda given: {})


PROBE = '''
"""A measurement added as one file: the norm of the first layer's weights."""

from yatbench.measures.base import measurement


@measurement("probe", needs=("model",), records=("probe_first_norm",))
def probe(given):
    return {"probe_first_norm": float(given.model.input_weights()[0].detach().norm())}


MEASUREMENTS = (probe,)
'''


def test_a_new_measurement_module_is_measured_by_a_real_run(tmp_path: Path, monkeypatch) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "zz_probe.py").write_text(textwrap.dedent(PROBE))
    monkeypatch.setattr(yatbench.measures, "__path__", [*yatbench.measures.__path__, str(extra)])
    monkeypatch.delitem(sys.modules, "yatbench.measures.zz_probe", raising=False)
    try:
        assert "probe" in [m.name for m in measurements()]
        outcome = execute(spec(tmp_path / "results", ["dataset=xor", "model=linear", "trainer.epochs=10"]))
    finally:
        sys.modules.pop("yatbench.measures.zz_probe", None)
    metrics = json.loads((outcome.run_dir / "metrics.json").read_text())["metrics"]
    weights = torch.load(outcome.run_dir / "model.pt")
    first = next(v for k, v in weights.items() if k.endswith("weight"))
    assert metrics["probe_first_norm"] == pytest.approx(float(first.norm()))
    assert metrics["probe_first_norm"] > 0 and "solved" in metrics  # beside the others, not instead of them


def test_a_diverged_run_records_no_measurement_but_says_which_apply(tmp_path: Path) -> None:
    outcome = execute(spec(tmp_path, ["dataset=xor", "model=relu", "trainer.optimizer=sgd", "trainer.lr=1e12",
                                      "trainer.epochs=20"]))
    record = outcome.record
    assert record["status"] == "diverged" and record["metrics"] == {}
    assert record["data"]["track_solved"] is True  # the solved measurement applies; with no test accuracy, nothing


def test_a_run_of_a_plain_model_does_not_load_the_attention_model(tmp_path: Path) -> None:
    script = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})
from pathlib import Path
from tiny import tiny_spec
from yatbench.run.execute import execute
loaded = []
for model in ("linear", "attention"):
    execute(tiny_spec(Path({str(tmp_path)!r}), model))
    loaded.append("yatbench.models.attention_net" in sys.modules)
print(loaded)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "[False, True]"  # loaded by the run of attention only


@pytest.mark.parametrize("name", sorted(p.stem for p in (TESTS.parent / "conf" / "model").glob("*.yaml")))
def test_labour_tells_gated_experts_by_their_parts_as_the_class_would(name: str, tmp_path: Path) -> None:
    from yatbench.models.attention_net import GatedExperts

    model = spec(tmp_path, ["dataset=compositional", f"model={name}"]).model.build(2, 1)
    assert is_gated_experts(model) == isinstance(model, GatedExperts)


NOISY_XOR = ["dataset=xor", "dataset.noise=0.3", "dataset.n_train=40"]


@pytest.mark.parametrize("settings", [[*NOISY_XOR, f"model={name}"] for name in option_names("model")] + [
    [*NOISY_XOR, "model=relu", "model.norm=batch"], [*NOISY_XOR, "model=yat", "model.hidden=[3,3]"],
    ["dataset=compositional", "dataset.n=120", "model=attention", "model.experts=3"],  # regression
    ["dataset=poisson1d", "dataset.n_interior=32", "model=tanh"],  # a PDE's collocation points
    ["dataset=mnist", "dataset.source=bundled", "dataset.max_train=60", "dataset.max_test=20", "model=yat",
     "model.hidden=[4]"],  # ten classes
], ids=" ".join)
def test_seeds_measured_together_get_what_each_gets_alone(settings: list[str], tmp_path: Path) -> None:
    """Every model of the registry and every kind of task: a measurement's ``measure_group`` over three seeds
    trained together records what ``measure`` records for each alone (beyond rounding); a model it cannot stack
    is measured one by one."""
    device = torch.device("cpu")
    runs = [spec(tmp_path, [*settings, "trainer.epochs=5", f"seed={seed}"]) for seed in range(3)]
    all_splits = [load_data(run) for run in runs]
    models = [build_model(run, splits, device) for run, splits in zip(runs, all_splits, strict=True)]
    initial = [state_copy(model) for model in models]
    results = train(models, all_splits, runs[0].trainer, device, [run.seed for run in runs], label="test")
    values = [run_values(*run) for run in zip(runs, all_splits, models, initial, results, strict=True)]
    grouped = [m for m in measurements() if m.needs_model and m.measure_group is not None]
    assert grouped, "no measurement measures a group at once"
    for m in grouped:
        together = m.run_group(values)
        stackable = backend_of(models[0]) == "stacked" and not list(models[0].buffers())
        assert (together is not None) == stackable, (m.name, settings)
        for one, alone in zip(together or [], [m.run(v) for v in values], strict=False):
            assert one.metrics.keys() == alone.metrics.keys()
            for name, value in alone.metrics.items():
                assert one.metrics[name] == pytest.approx(value, rel=1e-5, abs=1e-7), (m.name, name)
