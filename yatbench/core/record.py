"""The run record: one typed structure for metrics.json, written by ``run.py`` and read by the report.

It carries a run's identity (run id, config hash, seedless key, setting key — see
:mod:`yatbench.core.identity`), its outcome (status, metrics, time) and the *data facts* the report
needs (input and output sizes, image shape, task, preprocessing, evaluation sets), so that the
report never guesses them from a dataset's name nor recomposes today's config folder.

:meth:`RunRecord.from_dict` is the only reader: it checks every field and raises ``ValueError``
with the reason, so that a hand-edited or foreign metrics.json makes a run *broken* (listed and
skipped), never a traceback.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA = 2
STATUSES = ("ok", "diverged")
TASKS = ("classification", "regression", "pde")
# Each task's headline test metric (``test_<name>`` in the metrics) and whether lower is better.
HEADLINE = {"classification": "accuracy", "regression": "mse", "pde": "rel_l2"}
LOWER_IS_BETTER = {"accuracy": False, "mse": True, "rel_l2": True}
PREPROCESS = ("none", "center", "standardize")
# Run-level files the report may read, by name → the file in the run folder.
ARTIFACTS = {
    "class_means": "class_means.npy",  # (classes × features) mean training input per class
    # Per evaluation, per test example (yatbench/train/trainer.py): ``epochs`` (E,) int64 and ``correct`` (E, N) uint8
    # (classification: 1 = that test example right then) or ``sq_error`` (E, N) float32 (regression). Not for
    # a PDE, whose test set is a fixed grid, not a sample.
    "test_outcomes": "test_outcomes.npz",
}
# Why a run's training stopped (RunRecord.stop_reason): the convergence rule's patience ran out, the maximum
# budget (trainer.epochs, and L-BFGS steps) did, or the loss went non-finite.
STOP_REASONS = ("patience", "max_epochs", "diverged")
VAL_KINDS = ("holdout", "train", "collocation")  # what a run's validation set is (yatbench.data.base.Splits)
Scalar = float | int | bool | str | None
# The largest integer a record may hold (int64: what a table column and a torch seed hold). JSON has no
# limit, and json reads 10**400 as a Python int that no float or array can take.
INT_MAX = 2**63 - 1


def _shown(value: Any) -> str:
    """``repr`` of a recorded value, short: an absurd integer is named by its length, not printed whole."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT_MAX:
        return f"(an integer of {len(str(abs(value)))} digits)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _int(data: dict[str, Any], key: str, minimum: int = 0, optional: bool = False) -> int | None:
    value = data.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= INT_MAX:
        raise ValueError(f"{key} {_shown(value)} is not an integer in [{minimum}, 2**63 - 1]")
    return value


def check_metric(key: str, value: Any) -> None:
    """A metric's value: None, a bool, text, an int64, or a float; accuracies in [0, 1] and retentions ≥ 0
    when finite (a diverged run may record NaN or ±inf); ``solved`` a bool. ValueError names what is wrong."""
    if value is not None and not isinstance(value, (int, float, bool, str)):
        raise ValueError(f"metric {key!r} holds {type(value).__name__}, not a number")
    if isinstance(value, bool) or value is None or isinstance(value, str):
        if key == "solved" and isinstance(value, str):
            raise ValueError(f"metric 'solved' holds {_shown(value)}, not true or false")
        return
    if key == "solved":
        raise ValueError(f"metric 'solved' holds {_shown(value)}, not true or false")
    if isinstance(value, int) and abs(value) > INT_MAX:
        raise ValueError(f"metric {key!r} holds {_shown(value)}, beyond any float")
    if math.isfinite(value):
        if key.endswith("accuracy") and not 0 <= value <= 1:
            raise ValueError(f"metric {key!r} = {value!r} is not an accuracy in [0, 1]")
        if key.startswith("retention_") and value < 0:
            raise ValueError(f"metric {key!r} = {value!r} is negative (a ratio of two accuracies)")


def _text(data: dict[str, Any], key: str, choices: tuple[str, ...] = ()) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} {value!r} is not a non-empty string")
    if choices and value not in choices:
        raise ValueError(f"{key} {value!r} is not one of {', '.join(choices)}")
    return value


def _number(data: dict[str, Any], key: str, optional: bool = True) -> float | None:
    value = data.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{key} {value!r} is not a finite number ≥ 0")
    return float(value)


@dataclass
class DataFacts:
    """What the model was given: sizes, task, how inputs were preprocessed, which test sets were scored."""

    task: str
    in_features: int
    out_features: int
    source: str
    preprocess: str = "none"
    image_shape: list[int] | None = None
    eval_sets: list[str] = field(default_factory=list)
    weight_negation: bool = False
    track_solved: bool = False
    n_train: int = 0
    n_test: int = 0
    # The validation set the run selected on: its size and kind (VAL_KINDS); 0 and "" in runs from before it.
    n_val: int = 0
    val_kind: str = ""
    # The headline test metric (HEADLINE[task]): a PDE run is scored by the relative L2 error of u.
    metric: str = ""

    def __post_init__(self) -> None:
        self.metric = self.metric or HEADLINE[self.task]

    @property
    def lower_is_better(self) -> bool:
        return LOWER_IS_BETTER[self.metric]

    @classmethod
    def from_splits(cls, splits: Any, weight_negation: bool = False, track_solved: bool = False) -> DataFacts:
        """The facts of a dataset's :class:`~yatbench.data.base.Splits`; ``weight_negation`` and ``track_solved``:
        whether the run measured those (``yatbench/measures/inversion.py``, ``yatbench/measures/solved.py``)."""
        shape = list(splits.image_shape) if splits.image_shape is not None else None
        return cls(splits.task, int(splits.in_features), int(splits.out_features), str(splits.source),
                   splits.preprocess, shape, list(splits.eval_sets), weight_negation,
                   track_solved, len(splits.y_train), len(splits.y_test),
                   len(splits.y_val), str(splits.val_kind))

    @classmethod
    def from_dict(cls, data: Any) -> DataFacts:
        if not isinstance(data, dict):
            raise ValueError("data facts are missing (a metrics.json from an older yatbench: run it again)")
        shape = data.get("image_shape")
        if shape is not None and not (isinstance(shape, list) and len(shape) == 2
                                      and all(isinstance(s, int) and s > 0 for s in shape)):
            raise ValueError(f"data.image_shape {shape!r} is not [height, width]")
        sets = data.get("eval_sets", [])
        if not isinstance(sets, list) or not all(isinstance(s, str) for s in sets):
            raise ValueError(f"data.eval_sets {sets!r} is not a list of names")
        facts = cls(_text(data, "task", TASKS), _int(data, "in_features", 1), _int(data, "out_features", 1),
                    _text(data, "source"), _text(data, "preprocess", PREPROCESS), shape, sets,
                    bool(data.get("weight_negation", False)), bool(data.get("track_solved", False)),
                    _int(data, "n_train"), _int(data, "n_test"), _int(data, "n_val") if "n_val" in data else 0,
                    _text(data, "val_kind", VAL_KINDS) if data.get("val_kind", "") != "" else "",
                    _text(data, "metric", tuple(LOWER_IS_BETTER)) if "metric" in data else "")
        if shape is not None and shape[0] * shape[1] != facts.in_features:
            raise ValueError(f"data.image_shape {shape} does not hold in_features = {facts.in_features}")
        return facts


@dataclass
class RunRecord:
    """The content of metrics.json (see the module doc)."""

    run_id: str
    config_hash: str
    seedless_key: str
    setting_key: str
    status: str
    dataset: str
    model: str
    seed: int
    params: int
    device: str
    data: DataFacts
    metrics: dict[str, Scalar]
    epochs_run: int = 0
    steps: int = 0
    train_time_s: float = 0.0
    total_time_s: float | None = None
    diverged_epoch: int | None = None
    # The convergence rule (yatbench/train/trainer.py): the epoch whose weights the run ends with (its best validation
    # evaluation), whether its last phase stopped by the rule (false: cut off by the budget while improving, or
    # diverged), why it stopped (STOP_REASONS) and the maximum budget in epochs. None in runs from before it.
    best_epoch: int | None = None
    converged: bool | None = None
    stop_reason: str | None = None
    max_epochs: int | None = None
    seed_batched: bool = False
    seed_batch: dict[str, Any] | None = None  # group size, group training time and backend
    notes: list[str] = field(default_factory=list)
    # Files the run saved for the report beside its weights, by name (ARTIFACTS): e.g. the class means
    # of image classification. Runs written before an artifact existed simply lack its entry.
    artifacts: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    # Where the run came from (yatbench.rundir.provenance): source commit and dirty flag, command, host, CPU,
    # threads, device name. Runs written before it was recorded simply lack it.
    provenance: dict[str, Scalar] = field(default_factory=dict)
    finished_at: str = ""
    schema: int = SCHEMA

    @property
    def task(self) -> str:
        return self.data.task

    @property
    def source(self) -> str:
        return self.data.source

    def to_dict(self) -> dict[str, Any]:
        """The JSON object written to metrics.json (``task`` and ``source`` repeated at the top for readers)."""
        out = asdict(self)
        out["task"], out["source"] = self.data.task, self.data.source
        return out

    @classmethod
    def from_dict(cls, data: Any) -> RunRecord:
        """Read and check a metrics.json object; ``ValueError`` names the first thing wrong."""
        if not isinstance(data, dict):
            raise ValueError("metrics.json does not hold an object")
        if data.get("schema") != SCHEMA:
            raise ValueError(f"record schema {data.get('schema')!r} is not {SCHEMA} (written by another "
                             "yatbench version: run it again with --force)")
        status = _text(data, "status")
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r} (valid: {', '.join(STATUSES)})")
        metrics = data.get("metrics")
        if not isinstance(metrics, dict):
            raise ValueError("metrics is not an object")
        for key, value in metrics.items():
            check_metric(key, value)
        if status == "ok" and not any(k.startswith("test_") for k in metrics):
            raise ValueError("status ok but no test metric recorded")
        for key in ("notes",):
            if not isinstance(data.get(key, []), list):
                raise ValueError(f"{key} is not a list")
        seed_batch = data.get("seed_batch")
        artifacts = data.get("artifacts", {})
        if not isinstance(artifacts, dict) or any(ARTIFACTS.get(k) != v for k, v in artifacts.items()):
            raise ValueError(f"artifacts {artifacts!r} is not a mapping of known artifacts to their files "
                             f"({', '.join(f'{k}: {v}' for k, v in ARTIFACTS.items())})")
        converged = data.get("converged")
        if converged is not None and not isinstance(converged, bool):
            raise ValueError(f"converged {_shown(converged)} is not true, false or null")
        stop_reason = data.get("stop_reason")
        if stop_reason is not None and stop_reason not in STOP_REASONS:
            raise ValueError(f"stop_reason {_shown(stop_reason)} is not one of {', '.join(STOP_REASONS)}")
        versions = data.get("versions", {})
        provenance = data.get("provenance", {})
        if not isinstance(provenance, dict) or any(
                v is not None and not isinstance(v, (int, float, bool, str)) for v in provenance.values()):
            raise ValueError("provenance is not a mapping of names to plain values")
        return cls(
            run_id=_text(data, "run_id"), config_hash=_text(data, "config_hash"),
            seedless_key=_text(data, "seedless_key"), setting_key=_text(data, "setting_key"), status=status,
            dataset=_text(data, "dataset"), model=_text(data, "model"), seed=_int(data, "seed"),
            params=_int(data, "params", 1), device=_text(data, "device"), data=DataFacts.from_dict(data.get("data")),
            metrics=metrics, epochs_run=_int(data, "epochs_run"), steps=_int(data, "steps"),
            train_time_s=_number(data, "train_time_s", optional=False),
            total_time_s=_number(data, "total_time_s"),
            diverged_epoch=_int(data, "diverged_epoch", optional=True),
            best_epoch=_int(data, "best_epoch", optional=True), converged=converged, stop_reason=stop_reason,
            max_epochs=_int(data, "max_epochs", 1, optional=True),
            seed_batched=bool(data.get("seed_batched", False)),
            seed_batch=seed_batch if isinstance(seed_batch, dict) else None,
            notes=[str(n) for n in data.get("notes", [])], artifacts=dict(artifacts),
            versions={str(k): str(v) for k, v in versions.items()} if isinstance(versions, dict) else {},
            provenance=dict(provenance),
            finished_at=str(data.get("finished_at", "")), schema=SCHEMA)
