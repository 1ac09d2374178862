"""One run end to end: validated config → data + model → trainer → run folder."""

from __future__ import annotations

import copy
import platform
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from omegaconf import OmegaConf
from torch import nn

from yatbench import __version__
from yatbench.analysis import prototype_metrics
from yatbench.config import RunSpec
from yatbench.data.base import Splits
from yatbench.device import resolve_device, seed_everything
from yatbench.export import write_exports
from yatbench.gradients import gradient_metrics
from yatbench.identity import setting_key
from yatbench.labour import labour_metrics
from yatbench.limits import check_model_size
from yatbench.progress import note, progress_line
from yatbench.record import DataFacts, RunRecord
from yatbench.results import ensure_writable, is_complete, read_metrics, write_history, write_json, write_run
from yatbench.trainer import TrainResult, evaluate, train


@dataclass
class RunOutcome:
    """Where a run's folder is, its metrics record, and whether it was skipped as already done."""

    run_dir: Path
    record: dict[str, Any]
    skipped: bool


def count_params(model: nn.Module) -> int:
    """Trainable parameters: what comparisons are matched on."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def build_model(spec: RunSpec, splits: Splits, device: torch.device) -> nn.Module:
    """Seed, then initialise the model: the same seed always gives the same initial weights.

    A model over ``spec.limits`` (parameters, estimated memory with the data's real sizes) is
    refused with one line before anything is allocated.
    """
    batch = spec.trainer.batch_size or len(splits.x_train)
    check_model_size(lambda: spec.model.build(splits.in_features, splits.out_features), batch, spec.limits,
                     f"model {spec.model.name} on {spec.dataset.name}")
    seed_everything(spec.seed)
    return spec.model.build(splits.in_features, splits.out_features).to(device)


def weight_negation_metrics(model: nn.Module, splits: Splits, device: torch.device) -> dict[str, float]:
    """Accuracy with the first layer's weights negated (w → −w), and its retention."""
    negated = copy.deepcopy(model)
    with torch.no_grad():
        for weight in negated.input_weights():
            weight.neg_()
    result = evaluate(negated, splits.x_test.to(device), splits.y_test.to(device), splits)
    return {"weight_negated_loss": result["loss"], "weight_negated_accuracy": result["accuracy"]}


def add_retention(metrics: dict[str, Any], names: list[str]) -> None:
    """retention_<name> = accuracy on the altered set / clean test accuracy."""
    clean = metrics.get("test_accuracy")
    for name in names:
        altered = metrics.get(f"{name}_accuracy")
        if clean and altered is not None:
            metrics[f"retention_{name}"] = altered / clean


def make_record(spec: RunSpec, splits: Splits, model: nn.Module, device: torch.device,
                result: TrainResult, seed_batched: bool = False) -> dict[str, Any]:
    """The metrics.json record (:class:`yatbench.record.RunRecord`): identity, outcome and data facts."""
    return RunRecord(
        run_id=spec.run_id, config_hash=spec.config_hash, seedless_key=spec.seedless_key,
        setting_key=setting_key(spec.resolved), status=result.status, dataset=spec.dataset.name,
        model=spec.model.name, seed=spec.seed, params=count_params(model), device=str(device),
        data=DataFacts.from_splits(splits), metrics=result.metrics,
        epochs_run=result.history[-1]["epoch"] if result.history else 0, steps=result.steps,
        train_time_s=round(result.train_time_s, 4), diverged_epoch=result.diverged_epoch,
        seed_batched=seed_batched, seed_batch=result.seed_batch, notes=[*splits.notes, *result.notes],
        versions={"yatbench": __version__, "torch": torch.__version__, "python": platform.python_version()},
        finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    ).to_dict()


def save_run(spec: RunSpec, splits: Splits, model: nn.Module, record: dict[str, Any],
             history: list[dict[str, float]], replace: bool = False) -> Path:
    """Write the run folder (config, metrics, history, weights, pictures) atomically."""

    def contents(folder: Path) -> None:
        (folder / "config.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create(spec.resolved)))
        write_history(folder / "history.csv", history)
        write_exports(spec.resolved.get("export", "none"), folder, record, spec.resolved, history)
        torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, folder / "model.pt")
        if splits.image_shape is not None and record["status"] == "ok":
            from yatbench.artifacts import save_weight_grid

            first = model.input_weights()[0]
            if first.shape[-1] == splits.image_shape[0] * splits.image_shape[1] and first.shape[0] <= 100:
                save_weight_grid(first, splits.image_shape, folder / "prototypes.png",
                                 f"{spec.dataset.name} · {spec.model.name} · first-layer weights (seed {spec.seed})")
        if splits.test_grid is not None and record["status"] == "ok":
            from yatbench.artifacts import save_solution_plot

            with torch.no_grad():
                predicted = model(splits.x_test.to(next(model.parameters()).device))
            save_solution_plot(splits.x_test, splits.y_test, predicted, splits.test_grid, folder / "solution.png",
                               f"{spec.dataset.name} · {spec.model.name} · seed {spec.seed}: "
                               f"relative L2 error {record['metrics']['test_rel_l2']:.3g}")
        write_json(folder / "metrics.json", record)  # last: its presence marks the folder complete

    return write_run(spec.results_dir, spec.run_id, contents, replace=replace)


def finish(spec: RunSpec, splits: Splits, model: nn.Module, device: torch.device, result: TrainResult,
           started: float, seed_batched: bool = False, replace: bool = False) -> RunOutcome:
    """Post-training evaluations, then the run folder. Shared by single and seed-batched runs.

    ``started`` is the ``time.perf_counter()`` reading when the run began (data loading included).
    """
    if result.status == "ok":
        if splits.weight_negation:
            result.metrics.update(weight_negation_metrics(model, splits, device))
        result.metrics.update(prototype_metrics(model, splits))
        # run-level measures for the seed claims (yatbench/gradients.py, yatbench/labour.py)
        result.metrics.update(gradient_metrics(build_model(spec, splits, device), model, splits))
        result.metrics.update(labour_metrics(model, splits))
    add_retention(result.metrics, [*splits.eval_sets, "weight_negated"])
    record = make_record(spec, splits, model, device, result, seed_batched)
    record["total_time_s"] = round(time.perf_counter() - started, 4)
    run_dir = save_run(spec, splits, model, record, result.history, replace=replace)
    return RunOutcome(run_dir, record, skipped=False)


def completed_outcome(spec: RunSpec, force: bool = False) -> RunOutcome | None:
    """The finished folder of this exact run, read back, unless ``force`` asks to redo it."""
    existing = spec.results_dir / spec.run_id
    if force or not is_complete(existing):
        return None
    return RunOutcome(existing, read_metrics(existing), skipped=True)


def execute(spec: RunSpec, force: bool = False) -> RunOutcome:
    """Run one validated config, or return the existing folder when the same run is complete."""
    done = completed_outcome(spec, force)
    if done is not None:
        return done
    ensure_writable(spec.results_dir)
    device = resolve_device(spec.device)
    started = time.perf_counter()
    with progress_line(f"loading {spec.dataset.name} data, building {spec.model.name}", spec.trainer.progress):
        splits = spec.dataset.load(spec.seed)
        model = build_model(spec, splits, device)
    for text in splits.notes:  # e.g. the bundled subset: said before training, not only after
        note(text, spec.trainer.progress)
    label = f"{spec.dataset.name} · {spec.model.name} · seed {spec.seed}"
    result = train(model, splits, spec.trainer, device, spec.seed, label=label)
    return finish(spec, splits, model, device, result, started, replace=force)


def execute_many(specs: list[RunSpec], force: bool = False) -> list[RunOutcome]:
    """Run a group of validated configs, in order; the unit of work a sweep hands to a worker.

    A sweep groups runs that differ only by seed into one call, so that small models can be
    trained together (see ``trainer.seed_batching`` and ``yatbench/seed_batch.py``): completed
    runs are skipped per seed, and each seed still gets its own run folder.
    """
    from yatbench.seed_batch import execute_grouped

    return execute_grouped(specs, force=force)
