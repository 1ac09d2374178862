"""What a measurement is: a name, what it needs from the run, what it records, and the function that measures.

A run's pipeline (``yatbench/run/execute.py``) trains, then hands every discovered :class:`Measurement`
(:func:`yatbench.measures.measurements`) the run's :class:`Given`, restricted to what the measurement
declared in ``needs`` (one of :data:`NEEDS`): reading anything else raises :class:`UndeclaredNeed`, so a
measurement's declaration is what it really reads. Its ``measure`` returns the metrics it recorded, under
names matching its ``records`` patterns (``fnmatch``: ``grad_norm_init_*``), and the arrays it saved under
the names in ``artifacts`` (:data:`yatbench.core.record.ARTIFACTS`).

When it runs: a measurement that needs the trained model (``model``, or ``initial_state``, its tensors as
initialised) measures only a run that trained to the end (status ``ok``); the run is then checked for
non-finite training quantities (a diverged run keeps no metrics). A measurement that needs neither
measures every run after that, from what is left (the data, the history, the metrics so far).

A group of seeds trained together (``yatbench/train/trainer.py``) may be measured together too: a
measurement may also give ``measure_group``, which takes the group's :class:`Given` objects and returns
each run's result in their order, or ``None`` when it cannot measure that group at once (the runs are then
measured one by one). It must record what ``measure`` would, beyond rounding: a 1 000-seed XOR group is
measured in one stacked pass instead of 1 000 small ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

# What a measurement may need, each an attribute of :class:`Given`.
NEEDS: dict[str, str] = {
    "spec": "the run's validated config (RunSpec: its dataset and model configs, seed)",
    "data": "the run's Splits: training, validation and test tensors",
    "model": "the trained model (with early stopping: the weights of its best validation evaluation)",
    "initial_state": "the model's parameters and buffers as initialised, before training (state_dict name → tensor)",
    "history": "the run's history rows (history.csv), one per evaluation",
    "metrics": "the metrics recorded so far: the training's, then those of the measurements before",
}
# Needing one of these makes a measurement one of the trained model's: it measures only a run whose status is ok.
MODEL_NEEDS = frozenset({"model", "initial_state"})


class UndeclaredNeed(AttributeError):
    """A measurement read something of the run it did not declare in ``needs``."""


class Given:
    """The part of a finished run a measurement declared it needs (:data:`NEEDS`), and nothing else."""

    __slots__ = ("_name", "_values")

    def __init__(self, name: str, values: Mapping[str, Any], needs: frozenset[str]) -> None:
        self._name = name
        self._values = {key: values[key] for key in needs if key in values}

    def __getattr__(self, key: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if key in values:
            return values[key]
        name = object.__getattribute__(self, "_name")
        raise UndeclaredNeed(f"measurement {name!r} reads {key!r} without declaring it in needs")


@dataclass(frozen=True)
class Measured:
    """What one measurement recorded: metrics (name → value) and artifacts (name → array, saved as ``.npy``)."""

    metrics: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Measurement:
    """One measurement of a run (see the module doc).

    ``needs``: keys of :data:`NEEDS`; ``records``: ``fnmatch`` patterns of the metric names it may record;
    ``artifacts``: names of :data:`yatbench.core.record.ARTIFACTS` it may save; ``applies``: whether the run
    calls for it at all, from what it needs (decided before it measures, whatever the run's status);
    ``measure``: the measurement, returning a :class:`Measured` or a plain dict of metrics; ``measure_group``:
    optionally, the same for several runs at once (the module doc).
    """

    name: str
    needs: frozenset[str]
    records: tuple[str, ...]
    measure: Callable[[Given], Measured | dict[str, Any]]
    applies: Callable[[Given], bool] = lambda given: True
    artifacts: tuple[str, ...] = ()
    measure_group: Callable[[list[Given]], list[Measured | dict[str, Any]] | None] | None = None

    def __post_init__(self) -> None:
        unknown = set(self.needs) - set(NEEDS)
        if unknown:
            raise ValueError(f"measurement {self.name!r} needs {sorted(unknown)}, not among {sorted(NEEDS)}")

    @property
    def needs_model(self) -> bool:
        """Whether it measures the trained model (so only a run whose status is ok)."""
        return bool(self.needs & MODEL_NEEDS)

    def given(self, values: Mapping[str, Any]) -> Given:
        """``values`` restricted to this measurement's needs."""
        return Given(self.name, values, self.needs)

    def records_name(self, metric: str) -> bool:
        """Whether ``metric`` is one of the names it declared."""
        return any(fnmatchcase(metric, pattern) for pattern in self.records)

    def run(self, values: Mapping[str, Any]) -> Measured:
        """Measure; a metric or artifact it did not declare is a bug in the measurement (ValueError)."""
        return self._checked(self.measure(self.given(values)))

    def run_group(self, runs: list[Mapping[str, Any]]) -> list[Measured] | None:
        """Measure several runs at once (``measure_group``), checked as :meth:`run` is; ``None`` when it cannot."""
        if self.measure_group is None:
            return None
        got = self.measure_group([self.given(values) for values in runs])
        if got is None:
            return None
        if len(got) != len(runs):
            raise ValueError(f"measurement {self.name!r} measured {len(got)} of a group of {len(runs)} runs")
        return [self._checked(one) for one in got]

    def _checked(self, got: Measured | dict[str, Any]) -> Measured:
        measured = got if isinstance(got, Measured) else Measured(dict(got))
        stray = [m for m in measured.metrics if not self.records_name(m)]
        stray += [a for a in measured.artifacts if a not in self.artifacts]
        if stray:
            raise ValueError(f"measurement {self.name!r} recorded {stray}, not among what it declares")
        return measured


def measurement(name: str, needs: tuple[str, ...] | frozenset[str], records: tuple[str, ...], *,
                applies: Callable[[Given], bool] | None = None, artifacts: tuple[str, ...] = (),
                group: Callable[[list[Given]], Any] | None = None) -> Callable[[Callable[[Given], Any]], Measurement]:
    """Decorator: the function becomes the ``measure`` of a :class:`Measurement` named ``name`` (``group``: its
    ``measure_group``)."""

    def wrap(function: Callable[[Given], Any]) -> Measurement:
        return Measurement(name, frozenset(needs), tuple(records), function,
                           applies if applies is not None else (lambda given: True), tuple(artifacts), group)

    return wrap
