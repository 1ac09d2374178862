"""Runs end to end: validated config → data + model → trainer → run folder.

:func:`execute` is one run; :func:`execute_seeds` is the seeds of one configuration, trained
together by the one training loop when their configuration trains stacked (``yatbench/train/trainer.py``).
Which seeds go together is the sweep's choice (``yatbench/sweep/jobs.py``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from yatbench.config.limits import check_model_size
from yatbench.config.spec import RunSpec
from yatbench.core.errors import UserError
from yatbench.core.identity import setting_key
from yatbench.core.progress import note, progress_line, warn
from yatbench.core.record import ARTIFACTS, DataFacts, RunRecord
from yatbench.data.base import Splits
from yatbench.measures import measurements
from yatbench.measures.base import Measured, Measurement
from yatbench.run.known import RunOutcome, completed_outcome, update_finished
from yatbench.rundir.export import write_exports
from yatbench.rundir.provenance import provenance, versions
from yatbench.rundir.results import (
    CONFIG_FILE,
    config_text,
    damage,
    ensure_writable,
    is_complete,
    move_damaged,
    write_history,
    write_json,
    write_run,
)
from yatbench.rundir.tags import write_tags
from yatbench.train.device import intra_op_threads, resolve_device, seed_everything
from yatbench.train.trainer import TrainResult, non_finite_outcome, stackable, train, work

# test_outcomes.npz is deflated above this many bytes of arrays (np.load reads either form).
OUTCOMES_DEFLATE_BYTES = 64 * 1024


def count_params(model: nn.Module) -> int:
    """Trainable parameters: what comparisons are matched on."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def load_data(spec: RunSpec) -> Splits:
    """The run's data; one :class:`UserError` line when it cannot be allocated (sizes under the limits, RAM not)."""
    try:
        return spec.dataset.load(spec.seed)
    except (MemoryError, RuntimeError) as exc:
        if not isinstance(exc, MemoryError) and "allocate" not in str(exc):
            raise
        raise UserError(f"the {spec.dataset.name} data as configured does not fit in memory; ask for fewer points "
                        f"(see `yatbench list dataset`) or lower limits.max_samples", 1) from None


# Models (settings, data shapes, batch, limits) whose size check has passed in this process.
_SIZE_CHECKED: set[tuple[Any, ...]] = set()


def build_model(spec: RunSpec, splits: Splits, device: torch.device) -> nn.Module:
    """Seed, then initialise the model: the same seed always gives the same initial weights.

    A model over ``spec.limits`` (parameters, estimated memory with the data's real sizes) is
    refused with one line before anything is allocated.
    """
    batch = spec.trainer.batch_size or len(splits.x_train)
    # The check builds the model on the meta device: once per model, shapes and limits, not once per seed.
    checked = (repr(spec.model), splits.in_features, splits.out_features, batch, repr(spec.limits))
    if checked not in _SIZE_CHECKED:
        check_model_size(spec.model, splits.in_features, splits.out_features, batch, spec.limits,
                         f"model {spec.model.name} on {spec.dataset.name}")
        _SIZE_CHECKED.add(checked)
    seed_everything(spec.seed)
    return spec.model.build(splits.in_features, splits.out_features).to(device)


def make_record(spec: RunSpec, splits: Splits, model: nn.Module, device: torch.device,
                result: TrainResult, seed_batched: bool = False, artifacts: Iterable[str] = (),
                measured: Iterable[str] | None = None) -> dict[str, Any]:
    """The metrics.json record (:class:`yatbench.core.record.RunRecord`): identity, outcome and data facts.

    ``artifacts``: the names (``ARTIFACTS``) of the extra files :func:`save_run` writes for the report;
    ``measured``: the names of the measurements that apply to the run (by default: :func:`applying`); the data
    facts say whether the weight-negation and solved measurements did.
    """
    if measured is None:
        measured = [m.name for m in applying(run_values(spec, splits, model, None, result))]
    measured = set(measured)
    data = DataFacts.from_splits(splits, weight_negation="weight_negation" in measured,
                                 track_solved="solved" in measured)
    return RunRecord(
        run_id=spec.run_id, config_hash=spec.config_hash, seedless_key=spec.seedless_key,
        setting_key=setting_key(spec.resolved), status=result.status, dataset=spec.dataset.name,
        model=spec.model.name, seed=spec.seed, params=count_params(model), device=str(device),
        data=data, metrics=result.metrics,
        epochs_run=result.history[-1]["epoch"] if result.history else 0, steps=result.steps,
        train_time_s=round(result.train_time_s, 4), diverged_epoch=result.diverged_epoch,
        best_epoch=result.best_epoch, converged=result.converged, stop_reason=result.stop_reason,
        max_epochs=result.max_epochs, seed_batched=seed_batched, seed_batch=result.seed_batch,
        notes=[*splits.notes, *result.notes],
        artifacts={name: ARTIFACTS[name] for name in artifacts},
        versions=versions(), provenance=provenance(device),
        finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    ).to_dict()


def save_run(spec: RunSpec, splits: Splits, model: nn.Module, record: dict[str, Any],
             history: Sequence[dict[str, Any]], replace: bool = False, arrays: dict[str, np.ndarray] | None = None,
             outcomes: dict[str, np.ndarray] | None = None) -> Path:
    """Write the run folder (config, metrics, history, weights, pictures) atomically.

    ``arrays``: the artifacts the measurements saved (name → array, e.g. the class means), each written as
    the file the record lists for it; ``outcomes``: the per-evaluation, per-test-example outcomes
    (``TrainResult.outcomes``), saved when the record lists them.
    """

    def contents(folder: Path) -> None:
        (folder / CONFIG_FILE).write_text(config_text(spec.resolved))
        write_history(folder / "history.csv", history)
        write_exports(spec.resolved.get("export", "none"), folder, record, spec.resolved, history)
        if spec.tags:
            write_tags(folder, spec.tags)
        torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, folder / "model.pt")
        for name, array in (arrays or {}).items():  # inside the folder write_run renames into place: atomic
            np.save(folder / record["artifacts"][name], array)
        if "test_outcomes" in record["artifacts"]:  # inside the folder write_run renames into place: atomic
            # Compressed where it pays: MNIST's 10 000 examples per evaluation shrink ~8×; XOR's few kilobytes
            # cost more to deflate (0.5 ms, thousands of runs a sweep) than they would save.
            deflate = sum(array.nbytes for array in outcomes.values()) > OUTCOMES_DEFLATE_BYTES
            save = np.savez_compressed if deflate else np.savez
            with (folder / record["artifacts"]["test_outcomes"]).open("wb") as handle:
                save(handle, **outcomes)
        if splits.image_shape is not None and record["status"] == "ok":
            from yatbench.rundir.artifacts import save_weight_grid

            first = model.input_weights()[0]
            if first.shape[-1] == splits.image_shape[0] * splits.image_shape[1] and first.shape[0] <= 100:
                save_weight_grid(first, splits.image_shape, folder / "prototypes.png",
                                 f"{spec.dataset.name} · {spec.model.name} · first-layer weights (seed {spec.seed})")
        if splits.test_grid is not None and record["status"] == "ok":
            from yatbench.rundir.artifacts import save_solution_plot

            with torch.no_grad():
                predicted = model(splits.x_test.to(next(model.parameters()).device))
            save_solution_plot(splits.x_test, splits.y_test, predicted, splits.test_grid, folder / "solution.png",
                               f"{spec.dataset.name} · {spec.model.name} · seed {spec.seed}: "
                               f"relative L2 error {record['metrics']['test_rel_l2']:.3g}")
        write_json(folder / "metrics.json", record)  # last: its presence marks the folder complete

    existing = spec.results_dir / spec.run_id
    # A damaged folder is never trusted and never deleted, --force (replace) or not: it is kept for the user to
    # look at. (A sound complete run that --force redoes is replaced, as asked.)
    problem = damage(existing) if is_complete(existing) else None
    if problem is not None:
        aside = move_damaged(existing)
        if replace:  # without --force, completed_outcome has said so already
            warn(f"run folder {existing} is damaged ({problem}); moved to {aside} (kept, not deleted)")
    return write_run(spec.results_dir, spec.run_id, contents, replace=replace)


def run_values(spec: RunSpec, splits: Splits, model: nn.Module, initial_state: dict[str, torch.Tensor] | None,
               result: TrainResult) -> dict[str, Any]:
    """What a finished run offers its measurements (:data:`yatbench.measures.base.NEEDS`); ``initial_state``
    ``None``: not known (deciding which measurements apply needs none)."""
    values = {"spec": spec, "data": splits, "model": model, "history": result.history, "metrics": result.metrics}
    return values if initial_state is None else {**values, "initial_state": initial_state}


def state_copy(model: nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of the model's ``state_dict`` (kept from before training for the measurements)."""
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


def applying(values: dict[str, Any]) -> list[Measurement]:
    """The discovered measurements (:func:`yatbench.measures.measurements`) that apply to a run, in their order."""
    return [m for m in measurements() if m.applies(m.given(values))]


def measure_together(values: list[dict[str, Any]], results: list[TrainResult]) -> list[dict[str, Measured]]:
    """Per run, what the measurements of the trained model that measure a group at once
    (``Measurement.measure_group``) found for the seeds of a group that trained to the end; :func:`measure`
    measures the rest one by one."""
    found: list[dict[str, Measured]] = [{} for _ in values]
    for m in measurements():
        if not m.needs_model or m.measure_group is None:
            continue
        members = [i for i, (v, r) in enumerate(zip(values, results, strict=True))
                   if r.status == "ok" and m.applies(m.given(v))]
        if len(members) < 2:
            continue
        measured = m.run_group([{**values[i], "metrics": results[i].metrics} for i in members])
        for i, one in zip(members, measured or (), strict=False):
            found[i][m.name] = one
    return found


def measure(spec: RunSpec, splits: Splits, model: nn.Module, initial_state: dict[str, torch.Tensor],
            result: TrainResult, done: dict[str, Measured] | None = None) -> tuple[list[str], dict[str, np.ndarray]]:
    """Every discovered measurement (:func:`yatbench.measures.measurements`) that applies to the run, into
    ``result.metrics``; the names of those that apply, and the arrays they saved. ``done``: what measurements
    found for this run with its group (:func:`measure_together`), taken as found.

    Those of the trained model measure a run that trained to the end, before the check for non-finite
    training quantities (a gradient norm that overflows makes the run diverged and blanks its metrics);
    the others measure every run, after it (``yatbench/measures/base.py``).
    """
    values = run_values(spec, splits, model, initial_state, result)
    chosen = applying(values)
    arrays: dict[str, np.ndarray] = {}

    def run(chosen: list[Measurement]) -> None:
        for m in chosen:
            measured = (done or {}).get(m.name) or m.run({**values, "metrics": result.metrics})
            result.metrics.update(measured.metrics)
            arrays.update(measured.artifacts)

    if result.status == "ok":
        run([m for m in chosen if m.needs_model])
        if bad := non_finite_outcome(result.metrics):  # e.g. a loss of 3.7e34 whose gradient norm overflows
            last = result.history[-1]["epoch"] if result.history else None
            result.notes.append(f"diverged: {', '.join(bad)} not finite after training")
            result.status, result.diverged_epoch, result.metrics = "diverged", last, {}
            result.converged, result.stop_reason = False, "diverged"
    run([m for m in chosen if not m.needs_model])
    return [m.name for m in chosen], arrays


def finish(spec: RunSpec, splits: Splits, model: nn.Module, initial_state: dict[str, torch.Tensor],
           device: torch.device, result: TrainResult, started: float, seed_batched: bool = False,
           replace: bool = False, done: dict[str, Measured] | None = None) -> RunOutcome:
    """Post-training measurements (:func:`measure`), then the run folder. Shared by single and seed-batched runs.

    ``started`` is the ``time.perf_counter()`` reading when the run began (data loading included).
    """
    applied, arrays = measure(spec, splits, model, initial_state, result, done)
    artifacts = [*arrays, *(["test_outcomes"] if result.outcomes is not None else [])]
    record = make_record(spec, splits, model, device, result, seed_batched, artifacts=artifacts, measured=applied)
    record["total_time_s"] = round(time.perf_counter() - started, 4)
    run_dir = save_run(spec, splits, model, record, result.history, replace=replace, arrays=arrays,
                       outcomes=result.outcomes)
    return RunOutcome(run_dir, record, skipped=False)


# At most this much work (seeds × parameters × batch) per stacked step: bounds a group's memory.
GROUP_WORK = 2**28


def execute(spec: RunSpec, force: bool = False) -> RunOutcome:
    """Run one validated config, or return the existing folder when the same run is complete."""
    done = completed_outcome(spec, force)
    return update_finished(spec, done) if done is not None else execute_seeds([spec], force)[0]


def execute_seeds(specs: list[RunSpec], force: bool = False) -> list[RunOutcome]:
    """Train and save ``specs``: distinct seeds of one configuration (``RunSpec.seedless_key``), none done yet.

    A configuration that trains stacked trains its seeds together, in chunks of at most
    :data:`GROUP_WORK`, on one torch thread; any other trains them one by one. Either way each run's
    numbers are those it gets alone. Each run's time is its share of its chunk's.
    """
    if len({spec.seedless_key for spec in specs}) != 1 or len({spec.seed for spec in specs}) != len(specs):
        raise ValueError("execute_seeds takes distinct seeds of one configuration")
    first = specs[0]
    ensure_writable(first.results_dir)
    device = resolve_device(first.device)
    started = time.perf_counter()
    with progress_line(f"loading {first.dataset.name} data, building {first.model.name}", first.trainer.progress):
        first_splits = load_data(first)
        probe = build_model(first, first_splits, device)
    for text in first_splits.notes:  # e.g. the bundled subset: said before training, not only after
        note(text, first.trainer.progress)
    if not stackable(probe, first_splits, first.trainer):
        return [_train_and_save([spec], device, started if i == 0 else time.perf_counter(),
                                [first_splits] if i == 0 else None, force)[0] for i, spec in enumerate(specs)]
    chunk = max(1, GROUP_WORK // max(1, work(count_params(probe), first.trainer, first_splits.x_train.shape[0])))
    outcomes: list[RunOutcome] = []
    with intra_op_threads(1):
        for lo in range(0, len(specs), chunk):
            part = specs[lo:lo + chunk]
            outcomes += _train_and_save(part, device, started if lo == 0 else time.perf_counter(),
                                        [first_splits] if lo == 0 else None, force)
    return outcomes


def _train_and_save(specs: list[RunSpec], device: torch.device, started: float,
                    loaded: list[Splits] | None, force: bool) -> list[RunOutcome]:
    """Load each seed's data (the first may be ``loaded`` already), build, train together, save each."""
    all_splits = [*(loaded or []), *(load_data(spec) for spec in specs[len(loaded or []):])]
    models = [build_model(spec, splits, device) for spec, splits in zip(specs, all_splits, strict=True)]
    first = specs[0]
    label = (f"{first.dataset.name} · {first.model.name} · seed {first.seed}" if len(specs) == 1
             else f"{first.dataset.name} · {first.model.name} · {len(specs)} seeds")
    initial_states = [state_copy(model) for model in models]
    results = train(models, all_splits, first.trainer, device, [spec.seed for spec in specs], label=label)
    values = [run_values(*run) for run in zip(specs, all_splits, models, initial_states, results, strict=True)]
    done = measure_together(values, results) if len(specs) > 1 else [{}]
    share = (time.perf_counter() - started) / len(specs)
    return [finish(spec, splits, model, initial, device, result, time.perf_counter() - share,
                   seed_batched=len(specs) > 1, replace=force, done=found)
            for spec, splits, model, initial, result, found
            in zip(specs, all_splits, models, initial_states, results, done, strict=True)]
