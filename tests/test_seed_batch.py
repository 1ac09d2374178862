"""Seed batching: a group trained together equals the same seeds trained one by one."""

from __future__ import annotations

import itertools
import json
import math
import shutil

import pytest
import torch
from torch import nn

import yatbench.seed_batch as seed_batch
from yatbench.nn.yat import YatLayer, yat_product
from yatbench.run import build_model, execute_many
from yatbench.seed_batch import _call, _with_seed, stacked_supported, train_seed_batch
from yatbench.trainer import train

MODELS = ["linear", "relu", "attention", "yat"]
CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def one_thread():
    """Toy models gain nothing from intra-op threads, and a busy 2-core machine loses a lot to them."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def close(a: float, b: float) -> bool:
    """Within 1e-3 relative or 1e-6 absolute (NaN equals NaN)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= max(1e-6, 1e-3 * abs(b))


def assert_same_run(batched: dict, single: dict, batched_rows: list[str], single_rows: list[str]) -> None:
    """Same status, metrics (within tolerance, exact for booleans and steps) and history."""
    assert batched["status"] == single["status"] and batched["steps"] == single["steps"]
    assert batched["metrics"].keys() == single["metrics"].keys()
    for key, value in single["metrics"].items():
        if isinstance(value, float):
            assert close(batched["metrics"][key], value), key
        else:
            assert batched["metrics"][key] == value, key
    assert batched_rows[0] == single_rows[0] and len(batched_rows) == len(single_rows)
    for row_b, row_s in zip(batched_rows[1:], single_rows[1:], strict=True):
        for b, s in zip(row_b.split(","), row_s.split(","), strict=True):
            assert close(float(b), float(s))


def run_both(spec_for, tmp_path, dataset: str, model: str, seeds: list[int], *overrides: str):
    """The same seeds through execute_many, seed-batched (auto) and one by one (off), in two results dirs."""
    auto = [spec_for(dataset, model, f"seed={s}", f"results_dir={tmp_path / 'auto'}", *overrides) for s in seeds]
    off = [spec_for(dataset, model, f"seed={s}", f"results_dir={tmp_path / 'off'}", "trainer.seed_batching=off",
                    *overrides) for s in seeds]
    return execute_many(auto), execute_many(off)


@pytest.mark.parametrize("model", MODELS)
def test_batched_group_equals_one_by_one_on_xor(spec_for, tmp_path, model: str) -> None:
    batched, single = run_both(spec_for, tmp_path, "xor", model, [0, 1, 2], "trainer.epochs=300",
                               "trainer.eval_every=1")
    for b, s in zip(batched, single, strict=True):
        assert b.run_dir.name == s.run_dir.name  # seed_batching is execution-only: same run id
        assert sorted(p.name for p in b.run_dir.iterdir()) == sorted(p.name for p in s.run_dir.iterdir())
        assert b.record["seed_batched"] is True and s.record["seed_batched"] is False
        assert b.record["seed_batch"]["seeds"] == 3 and b.record["seed_batch"]["backend"] == "stacked"
        assert s.record["seed_batch"] is None
        assert json.loads((b.run_dir / "metrics.json").read_text())["seed_batched"] is True
        rows_b = (b.run_dir / "history.csv").read_text().splitlines()
        rows_s = (s.run_dir / "history.csv").read_text().splitlines()
        assert len(rows_b) == 1 + 300
        # Epoch 1's loss is the loss of the initial weights: identical initialisation.
        assert float(rows_b[1].split(",")[2]) == pytest.approx(float(rows_s[1].split(",")[2]), rel=1e-6)
        assert_same_run(b.record, s.record, rows_b, rows_s)
        for key, value in b.record["metrics"].items():
            assert type(value) is type(s.record["metrics"][key]), key


@pytest.mark.parametrize("model", MODELS)
def test_same_solved_outcome_per_seed_with_the_default_budget(spec_for, model: str) -> None:
    spec = spec_for("xor", model)
    splits = spec.dataset.load(0)
    seeds = [0, 1, 2]  # relu: seed 0 solves, 1 and 2 do not
    models = [build_model(_with_seed(spec, s), splits, CPU) for s in seeds]
    batched = train_seed_batch(models, splits, spec.trainer, CPU, seeds)
    for seed, result in zip(seeds, batched, strict=True):
        single = train(build_model(_with_seed(spec, seed), splits, CPU), splits, spec.trainer, CPU, seed)
        assert result.metrics["solved"] == single.metrics["solved"]
        assert result.metrics["steps_to_solve"] == single.metrics["steps_to_solve"]
        assert result.steps == single.steps == 2000


@pytest.mark.parametrize("model", ["relu", "yat"])
def test_minibatches_and_per_seed_data_on_compositional(spec_for, tmp_path, model: str) -> None:
    # Compositional data is drawn from the seed: each seed trains on its own samples, in its own order.
    batched, single = run_both(spec_for, tmp_path, "compositional", model, [0, 1], "trainer.epochs=6",
                               "trainer.batch_size=100", "trainer.eval_every=2")
    for b, s in zip(batched, single, strict=True):
        assert b.record["seed_batched"] is True and b.record["steps"] == 6 * 8
        assert_same_run(b.record, s.record, (b.run_dir / "history.csv").read_text().splitlines(),
                        (s.run_dir / "history.csv").read_text().splitlines())
        saved_b, saved_s = torch.load(b.run_dir / "model.pt"), torch.load(s.run_dir / "model.pt")
        assert saved_b.keys() == saved_s.keys()
        for key in saved_s:
            torch.testing.assert_close(saved_b[key], saved_s[key], rtol=1e-3, atol=1e-5)


def test_resume_trains_only_the_missing_seeds(spec_for) -> None:
    specs = [spec_for("xor", "relu", f"seed={s}", "trainer.epochs=20") for s in range(4)]
    first = execute_many(specs)
    assert all(o.record["seed_batched"] and not o.skipped for o in first)
    assert execute_many(specs) and all(o.skipped for o in execute_many(specs))
    shutil.rmtree(first[1].run_dir)
    again = execute_many(specs)
    assert [o.skipped for o in again] == [True, False, True, True]
    assert again[1].record["seed_batched"] is False  # a group of one runs the plain path
    for index in (2, 3):
        shutil.rmtree(first[index].run_dir)
    again = execute_many(specs)
    assert [o.skipped for o in again] == [True, True, False, False]
    assert again[2].record["seed_batch"]["seeds"] == 2
    assert again[2].record["metrics"] == first[2].record["metrics"]  # a group of 2 gives what a group of 4 gave
    forced = execute_many(specs, force=True)
    assert not any(o.skipped for o in forced) and all(o.record["seed_batched"] for o in forced)


def test_seeds_do_not_couple(spec_for) -> None:
    # Seeds 0 and 2 come out the same whether seed 1 trains beside them or not.
    spec = spec_for("xor", "yat", "trainer.epochs=200")
    splits = spec.dataset.load(0)

    def group(seeds: list[int]):
        models = [build_model(_with_seed(spec, s), splits, CPU) for s in seeds]
        return dict(zip(seeds, train_seed_batch(models, splits, spec.trainer, CPU, seeds), strict=True)), models

    (three, models3), (two, models2) = group([0, 1, 2]), group([0, 2])
    for seed, m3, m2 in ((0, models3[0], models2[0]), (2, models3[2], models2[1])):
        assert three[seed].history == two[seed].history and three[seed].metrics == two[seed].metrics
        for (name, p3), p2 in zip(m3.named_parameters(), m2.parameters(), strict=True):
            assert torch.equal(p3, p2), name


def test_a_diverging_seed_leaves_the_others_alone(spec_for) -> None:
    spec = spec_for("compositional", "relu", "trainer.epochs=10", "trainer.batch_size=200")
    seeds = [0, 1, 2]
    splits = [spec.dataset.load(s) for s in seeds]

    def models() -> list[nn.Module]:
        return [build_model(_with_seed(spec, s), splits[s], CPU) for s in seeds]

    clean = train_seed_batch(models(), splits, spec.trainer, CPU, seeds)
    poisoned_models = models()
    with torch.no_grad():
        poisoned_models[1].readout.bias.fill_(float("inf"))  # seed 1's loss is inf from the first step
    poisoned = train_seed_batch(poisoned_models, splits, spec.trainer, CPU, seeds)
    assert poisoned[1].status == "diverged" and poisoned[1].diverged_epoch == 1
    assert poisoned[1].metrics == {} and poisoned[1].history == [] and poisoned[1].steps == 4
    for index in (0, 2):
        assert poisoned[index].status == "ok"
        assert poisoned[index].history == clean[index].history and poisoned[index].metrics == clean[index].metrics


def test_seed_batching_off_and_a_large_model_take_the_plain_path(spec_for, monkeypatch) -> None:
    off = execute_many([spec_for("xor", "linear", f"seed={s}", "trainer.epochs=5", "trainer.seed_batching=off")
                        for s in range(2)])
    assert not any(o.record["seed_batched"] for o in off)
    monkeypatch.setattr(seed_batch, "SMALL_WORK", 0)
    large = execute_many([spec_for("xor", "relu", f"seed={s}", "trainer.epochs=5") for s in range(2)])
    assert not any(o.record["seed_batched"] for o in large)


def test_chunks_of_a_large_group_each_train_together(spec_for, monkeypatch) -> None:
    monkeypatch.setattr(seed_batch, "GROUP_WORK", 2 * 9 * 4)  # two 2-2-1 nets on 4 points per chunk
    outcomes = execute_many([spec_for("xor", "relu", f"seed={s}", "trainer.epochs=5") for s in range(5)])
    assert [o.record["seed_batch"]["seeds"] for o in outcomes] == [2, 2, 2, 2, 1]


def test_the_vmap_backend_agrees_with_stacked_and_single(spec_for) -> None:
    # The generic backend (any nn.Module) goes through the Yat layer's custom Function under vmap.
    spec = spec_for("xor", "yat", "model.hidden=[3]", "trainer.epochs=100")
    splits = spec.dataset.load(0)
    seeds = [0, 1]
    stacked = train_seed_batch([build_model(_with_seed(spec, s), splits, CPU) for s in seeds], splits,
                               spec.trainer, CPU, seeds, backend="stacked")
    vmapped = train_seed_batch([build_model(_with_seed(spec, s), splits, CPU) for s in seeds], splits,
                               spec.trainer, CPU, seeds, backend="vmap")
    assert vmapped[0].seed_batch["backend"] == "vmap"
    for seed, a, b in zip(seeds, stacked, vmapped, strict=True):
        single = train(build_model(_with_seed(spec, seed), splits, CPU), splits, spec.trainer, CPU, seed)
        for row_s, row_a, row_b in zip(single.history, a.history, b.history, strict=True):
            assert close(row_a["train_loss"], row_s["train_loss"]) and close(row_b["train_loss"], row_s["train_loss"])


def test_only_the_built_in_architectures_have_a_stacked_forward() -> None:
    class Custom(nn.Linear):
        pass

    assert stacked_supported(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), YatLayer(3, 1)))
    assert not stacked_supported(Custom(2, 1)) and not stacked_supported(nn.Sequential(nn.Tanh()))


@pytest.mark.parametrize(("bias", "alpha"), list(itertools.product(["inside", "outside", "none"],
                                                                   ["learnable", "none", 2.0])))
def test_stacked_yat_formula_matches_the_layer(bias: str, alpha: str | float) -> None:
    from torch.func import stack_module_state

    torch.manual_seed(0)
    layers = [YatLayer(3, 4, bias=bias, alpha=alpha) for _ in range(3)]
    with torch.no_grad():
        for layer in layers:
            if layer.bias is not None:
                layer.bias.uniform_(-1, 1)
    x = torch.randn(3, 5, 3)
    params, buffers = stack_module_state(layers)
    stacked = _call(layers[0], "", {**params, **buffers}, x)
    stacked.square().sum().backward()
    for index, layer in enumerate(layers):
        single = yat_product(x[index], layer.weight, layer.bias, layer.alpha, layer.epsilon, layer.bias_mode)
        torch.testing.assert_close(stacked[index], single, rtol=1e-5, atol=1e-6)
        single.square().sum().backward()
        for name, param in layer.named_parameters():
            torch.testing.assert_close(params[name].grad[index], param.grad, rtol=1e-4, atol=1e-5)
