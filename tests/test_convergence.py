"""Selection never sees the test set; every run trains to the convergence rule (issue 21, items 1 and 2).

Real data and real (tiny) training throughout: the validation split of every dataset, the rule checked against
an independent reading of the history, the test set poisoned without changing any choice, the weights a run
ends with, its record, its ``test_outcomes.npz`` and runs.csv.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from yatbench.core.errors import UserError
from yatbench.core.record import RunRecord
from yatbench.data.compositional import CompositionalConfig
from yatbench.data.mnist import MnistConfig
from yatbench.data.poisson1d import Poisson1dConfig
from yatbench.data.poisson2d import Poisson2dConfig
from yatbench.data.xor import XorConfig
from yatbench.report.load import load_runs
from yatbench.run.execute import build_model, execute
from yatbench.train.config import TrainerConfig
from yatbench.train.objective import evaluate
from yatbench.train.trainer import Phase, Stopping, train

from .test_trainer import assert_equivalent_runs, close, read_history, run_both, with_seed

CPU = torch.device("cpu")
# compositional, shrunk: a 3-unit ReLU net, full batch, Adam at lr 0.05; stops by the rule on seeds 0-3, at
# epochs 355, 280, 380 and 565 of the 600 allowed
SMALL = ("model.hidden=[3]", "trainer.lr=0.05", "trainer.epochs=600", "trainer.patience=40", "trainer.eval_every=5")


def rows(x: torch.Tensor) -> set[bytes]:
    return {row.numpy().tobytes() for row in x}


@pytest.mark.parametrize("splits", [
    CompositionalConfig().load(3), CompositionalConfig(n=50, val_fraction=0.5).load(0), XorConfig(noise=0.4).load(2),
    MnistConfig(source="bundled", max_train=300, max_test=50).load(0),
], ids=["compositional", "compositional-small", "noisy-xor", "mnist"])
def test_a_hold_out_is_disjoint_from_train_and_test(splits) -> None:
    assert splits.val_kind == "holdout" and len(splits.y_val) > 0
    train_rows, val_rows, test_rows = rows(splits.x_train), rows(splits.x_val), rows(splits.x_test)
    assert not train_rows & val_rows and not val_rows & test_rows
    assert len(splits.x_val) == len(splits.y_val)


def test_the_test_set_does_not_move_with_the_validation_split() -> None:
    for make in (lambda f: CompositionalConfig(val_fraction=f).load(1),
                 lambda f: MnistConfig(source="bundled", max_train=200, val_fraction=f).load(0)):
        a, b = make(0.1), make(0.4)
        assert torch.equal(a.x_test, b.x_test) and torch.equal(a.y_test, b.y_test)
        assert len(a.y_val) < len(b.y_val) and len(a.y_train) + len(a.y_val) == len(b.y_train) + len(b.y_val)
    mnist = MnistConfig(source="bundled", max_train=200, val_fraction=0.1).load(0)
    assert torch.bincount(mnist.y_val).tolist() == [2] * 10  # class-balanced: 20 images, 2 per digit


def test_four_point_xor_validates_on_its_training_points() -> None:
    splits = XorConfig().load(0)
    assert splits.val_kind == "train" and torch.equal(splits.x_val, splits.x_train)


@pytest.mark.parametrize("config", [Poisson1dConfig(n_interior=16), Poisson2dConfig(n_interior=20, n_boundary=8)])
def test_pde_validation_points_are_a_draw_of_their_own(config) -> None:
    splits, again, other = config.load(0), config.load(0), config.load(1)
    assert splits.val_kind == "collocation" and splits.x_val.shape == splits.x_train.shape
    n = config.n_interior
    assert not rows(splits.x_train[:n]) & rows(splits.x_val[:n])  # other collocation points
    assert torch.equal(splits.x_val, again.x_val) and not torch.equal(splits.x_val[:n], other.x_val[:n])
    # adding validation changed no training point: the training points are still manual_seed(seed)'s draw
    expected = torch.rand(n, len(splits.x_train[0]), generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(splits.x_train[:n], expected, rtol=0, atol=1e-7)


def first_stop(history: list[dict], patience: int, min_delta: float, floor: float = 0.0) -> int:
    """The epoch the rule stops at, read from the validation losses alone (an independent reading of the rule)."""
    reference, last = math.inf, 0
    for row in history:
        value = row["val_loss"]
        if max(value, floor) < max(reference, floor) * (1 - min_delta):
            reference, last = value, row["epoch"]
        if row["epoch"] - last >= patience:
            return row["epoch"]
    return -1


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_each_seed_stops_where_the_rule_says_and_ends_at_its_best_epoch(spec_for, seed: int) -> None:
    outcome = execute(spec_for("compositional", "relu", f"seed={seed}", *SMALL))
    record, history = outcome.record, read_history(outcome.run_dir / "history.csv")
    assert record["stop_reason"] == "patience" and record["converged"] is True and record["max_epochs"] == 600
    assert record["epochs_run"] == history[-1]["epoch"] == first_stop(history, 40, 0.001) < 600
    best = min(history, key=lambda row: row["val_loss"])
    assert record["best_epoch"] == best["epoch"]
    # the weights the run ends with are the best epoch's: its final test scores are that history row's
    for key in ("test_loss", "test_mse", "test_r2", "val_loss"):
        assert record["metrics"][key] == best[key], key
    splits = spec_for("compositional", "relu", f"seed={seed}", *SMALL).dataset.load(seed)
    saved = build_model(spec_for("compositional", "relu", f"seed={seed}", *SMALL), splits, CPU)
    saved.load_state_dict(torch.load(outcome.run_dir / "model.pt"))
    assert evaluate(saved, splits.x_test, splits.y_test, splits)["loss"] == pytest.approx(best["test_loss"], rel=1e-6)


def test_a_run_cut_off_while_improving_has_not_converged(spec_for) -> None:
    record = execute(spec_for("compositional", "relu", "model.hidden=[3]", "trainer.epochs=60",
                              "trainer.eval_every=5")).record
    assert record["stop_reason"] == "max_epochs" and record["converged"] is False
    assert record["epochs_run"] == record["max_epochs"] == 60 and record["best_epoch"] == 60


def test_the_floor_ends_a_solved_xor_run(spec_for) -> None:
    outcome = execute(spec_for("xor", "relu", "model.hidden=[16]", "seed=0"))
    record, history = outcome.record, read_history(outcome.run_dir / "history.csv")
    floor_at = next(row["epoch"] for row in history if row["val_loss"] <= 0.01)
    assert record["converged"] and record["epochs_run"] == first_stop(history, 1000, 0.01, 0.01) < 10_000
    assert record["epochs_run"] - floor_at <= 1000 and record["metrics"]["solved"] is True


def test_poisoned_test_labels_change_no_choice(spec_for) -> None:
    """The test set is never read for selection: permuted test targets leave every choice (stop, best epoch,
    weights, validation scores) as it was; only the test scores move."""
    spec = spec_for("compositional", "relu", *SMALL)
    seeds = [0, 1]
    clean = [spec.dataset.load(s) for s in seeds]
    poisoned = [dataclasses.replace(s, y_test=s.y_test[torch.randperm(len(s.y_test))] * 3 + 1) for s in clean]
    results = {}
    for name, data in (("clean", clean), ("poisoned", poisoned)):
        models = [build_model(with_seed(spec, s), data[s], CPU) for s in seeds]
        results[name] = (train(models, data, spec.trainer, CPU, seeds), models)
    pairs = [zip(*results[name], strict=True) for name in ("clean", "poisoned")]
    for (a, model_a), (b, model_b) in zip(*pairs, strict=True):
        assert (a.best_epoch, a.stop_reason, a.steps) == (b.best_epoch, b.stop_reason, b.steps)
        assert [{k: v for k, v in row.items() if not k.startswith("test_")} for row in a.history] == \
               [{k: v for k, v in row.items() if not k.startswith("test_")} for row in b.history]
        weights_a, weights_b = model_a.state_dict(), model_b.state_dict()
        assert all(torch.equal(weights_a[name], weights_b[name]) for name in weights_a)
        assert a.metrics["test_mse"] != b.metrics["test_mse"]


def test_seeds_that_stop_at_different_epochs_are_the_same_alone_and_in_a_group(spec_for, tmp_path) -> None:
    batched, single = run_both(spec_for, tmp_path, "compositional", "relu", [0, 1, 2, 3], *SMALL)
    assert len({b.record["epochs_run"] for b in batched}) >= 3  # they did stop at different epochs
    for b, s in zip(batched, single, strict=True):
        assert b.record["seed_batch"]["seeds"] == 4 and b.record["converged"] is True
        assert_equivalent_runs(b, s)


def test_phases_keep_each_seeds_own_clock_in_a_group(spec_for) -> None:
    # Adam until the rule stops each seed (at different epochs), then SGD from each seed's best weights: in a
    # group each seed's second phase starts at its own epoch with its own weights, as alone.
    spec = spec_for("compositional", "relu", *SMALL, "trainer.batch_size=160")
    seeds = [0, 1, 2]
    data = {s: spec.dataset.load(s) for s in seeds}
    phases = [Phase("adam", 0.05, 600), Phase("sgd", 0.001, 30)]

    def group(members: list[int]) -> dict:
        models = [build_model(with_seed(spec, s), data[s], CPU) for s in members]
        return dict(zip(members, train(models, [data[s] for s in members], spec.trainer, CPU, members,
                                       phases=phases), strict=True))

    together = group(seeds)
    assert len({r.history[-1]["epoch"] for r in together.values()}) >= 2
    for seed in seeds:
        (alone,) = group([seed]).values()
        assert close(alone.history, together[seed].history) and close(alone.metrics, together[seed].metrics)
        assert (alone.best_epoch, alone.stop_reason, alone.steps) == \
               (together[seed].best_epoch, together[seed].stop_reason, together[seed].steps)


def test_the_record_the_outcomes_and_runs_csv(spec_for, tmp_path) -> None:
    outcome = execute(spec_for("mnist", "relu", "dataset.source=bundled", "dataset.max_train=200",
                               "dataset.max_test=60", "model.hidden=[4]", "trainer.epochs=6", "trainer.patience=2"))
    record = json.loads((outcome.run_dir / "metrics.json").read_text())
    assert record["data"]["n_val"] == 20 and record["data"]["val_kind"] == "holdout"
    assert record["data"]["n_train"] == 180 and record["data"]["n_test"] == 60
    assert record["stop_reason"] in ("patience", "max_epochs") and record["max_epochs"] == 6
    assert record["artifacts"]["test_outcomes"] == "test_outcomes.npz"
    with (outcome.run_dir / "history.csv").open() as handle:
        history = list(csv.DictReader(handle))
    assert {"val_loss", "val_accuracy", "val_max_prob"} <= set(history[0])
    with np.load(outcome.run_dir / "test_outcomes.npz") as saved:
        assert saved["correct"].dtype == np.uint8 and saved["correct"].shape == (len(history), 60)
        assert saved["epochs"].tolist() == [int(row["epoch"]) for row in history]
        np.testing.assert_allclose(saved["correct"].mean(1), [float(row["test_accuracy"]) for row in history])
    table = load_runs(outcome.run_dir.parent)
    row = table.runs.iloc[0]
    assert row["best_epoch"] == record["best_epoch"] and row["max_epochs"] == 6 and row["n_val"] == 20
    assert row["stop_reason"] == record["stop_reason"] and bool(row["converged"]) == record["converged"]


def test_regression_outcomes_are_squared_errors_and_pdes_have_none(spec_for) -> None:
    run = execute(spec_for("compositional", "linear", "trainer.epochs=20", "trainer.eval_every=10"))
    with np.load(run.run_dir / "test_outcomes.npz") as saved:
        history = read_history(run.run_dir / "history.csv")
        assert saved["sq_error"].shape == (2, 200) and saved["sq_error"].dtype == np.float32
        np.testing.assert_allclose(saved["sq_error"].mean(1), [row["test_mse"] for row in history], rtol=1e-5)
    pde = execute(spec_for("poisson1d", "tanh", "trainer.epochs=10", "trainer.eval_every=5", "dataset.n_interior=16",
                           "model.hidden=[4]", "dataset.n_test=11"))
    assert "test_outcomes" not in pde.record["artifacts"] and not (pde.run_dir / "test_outcomes.npz").exists()
    assert {"val_loss", "val_residual", "val_boundary"} <= set(read_history(pde.run_dir / "history.csv")[0])


def test_a_record_from_before_the_rule_still_reads(spec_for) -> None:
    record = execute(spec_for("xor", "linear", "trainer.epochs=10")).record
    old = {k: v for k, v in record.items() if k not in ("best_epoch", "converged", "stop_reason", "max_epochs")}
    old["data"] = {k: v for k, v in old["data"].items() if k not in ("n_val", "val_kind")}
    read = RunRecord.from_dict(old)
    assert (read.best_epoch, read.converged, read.stop_reason, read.max_epochs) == (None, None, None, None)
    assert read.data.n_val == 0 and read.data.val_kind == ""
    with pytest.raises(ValueError, match="stop_reason"):
        RunRecord.from_dict({**record, "stop_reason": "bored"})
    with pytest.raises(ValueError, match="converged"):
        RunRecord.from_dict({**record, "converged": "yes"})


@pytest.mark.parametrize(("override", "said"), [
    ("trainer.patience=0", "trainer.patience=0 must be >= 1"),
    ("trainer.min_delta=1", "trainer.min_delta=1.0 must be in [0, 1)"),
    ("trainer.loss_floor=-1", "trainer.loss_floor=-1.0 must be a finite number >= 0"),
    ("dataset.val_fraction=0", "dataset.val_fraction=0.0 must be between 0 and 1"),
])
def test_bad_rule_settings_are_one_clear_line(spec_for, override: str, said: str) -> None:
    with pytest.raises(UserError, match=re.escape(said)):
        spec_for("compositional", "relu", override)


class _OneSeedRule:
    """The convergence rule for one seed in plain Python floats, as the trainer's docstring states it."""

    def __init__(self, patience: int, min_delta: float, floor: float) -> None:
        self.patience, self.min_delta, self.floor = patience, min_delta, floor
        self.ref = self.best = math.inf
        self.best_epoch, self.last_gain, self.reason = None, 0, "max_epochs"

    def observe(self, epoch: int, loss: float) -> bool:
        if max(loss, self.floor) < max(self.ref, self.floor) * (1 - self.min_delta):
            self.ref, self.last_gain = loss, epoch
        if loss < self.best:
            self.best, self.best_epoch = loss, epoch
            return True
        return False

    def exhausted(self, epoch: int) -> bool:
        if epoch - self.last_gain >= self.patience:
            self.reason = "patience"
            return True
        return False


_LOSSES = st.one_of(st.sampled_from([0.0, 0.5, 1.0, math.nan, math.inf]), st.floats(0, 2, allow_nan=False))


@settings(max_examples=200, deadline=None)
@given(size=st.integers(1, 4), patience=st.integers(1, 5), min_delta=st.sampled_from([0.0, 0.001, 0.3]),
       floor=st.sampled_from([0.0, 0.5]), data=st.data())
def test_stopping_as_arrays_is_the_rule_seed_by_seed(size: int, patience: int, min_delta: float, floor: float,
                                                      data) -> None:
    """The trainer's Stopping (arrays over a stack) keeps, stops and picks the best epoch of every seed exactly as
    the rule applied to each seed alone: ties, NaN and infinite losses, the floor and new phases included."""
    cfg = TrainerConfig(patience=patience, min_delta=min_delta, loss_floor=floor)
    stack, alone = Stopping(cfg, size), [_OneSeedRule(patience, min_delta, floor) for _ in range(size)]
    epochs, running = np.zeros(size, dtype=np.int64), list(range(size))
    for _ in range(data.draw(st.integers(1, 12))):
        if data.draw(st.booleans()) and not running:  # a new phase: every seed runs again from its own epoch
            running = list(range(size))
            stack.start_phase(np.asarray(running), epochs[running])
            for i in running:
                alone[i].last_gain, alone[i].reason = max(alone[i].last_gain, int(epochs[i])), "max_epochs"
        if not running:
            continue
        ticking = np.asarray(running, dtype=np.int64)
        epochs[ticking] += data.draw(st.integers(1, 3))
        due = sorted(data.draw(st.sets(st.sampled_from(running), min_size=1)))
        losses = [data.draw(_LOSSES) for _ in due]
        kept = np.asarray(due)[stack.observe(np.asarray(due), epochs[due], np.asarray(losses))].tolist()
        assert kept == [i for i, loss in zip(due, losses, strict=True) if alone[i].observe(int(epochs[i]), loss)]
        stopped = stack.exhausted(ticking, epochs[ticking])
        assert ticking[~stopped].tolist() == [i for i in running if not alone[i].exhausted(int(epochs[i]))]
        running = ticking[~stopped].tolist()
    assert [int(e) or None for e in stack.best_epoch] == [rule.best_epoch for rule in alone]
    assert stack.reason == [rule.reason for rule in alone]
