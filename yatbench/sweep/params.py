"""Parameter budgets: count a configuration's parameters and find the width that meets a budget.

Comparisons are fair only at matched parameter counts (DESIGN §3, §7). ``relu`` and ``yat`` are
sized by their hidden width (one hidden layer, ``model.hidden=[h]``), ``attention`` by its number
of experts (``model.experts=K``); ``linear`` has no size knob: its size is fixed by the data.

    python -m yatbench.sweep.params inversion 17270      # widths for every model near that budget
"""

from __future__ import annotations

import sys
from pathlib import Path

from yatbench.config.compose import compose_config
from yatbench.config.spec import RunSpec, validate

TOLERANCE = 0.05
_SHAPES: dict[str, tuple[int, int]] = {}  # dataset settings → (in, out) features, read once
SIZE_KNOBS = {"relu": "model.hidden=[{}]", "yat": "model.hidden=[{}]", "attention": "model.experts={}"}


def param_count(overrides: list[str], user_dir: str | Path | None = None) -> int:
    """Trainable parameters of the model a list of overrides (``dataset=... model=...``) builds."""
    return spec_param_count(validate(compose_config(list(overrides), user_dir)))


def spec_param_count(spec: RunSpec) -> int:
    """Trainable parameters of a validated run's model (its data is read once per dataset setting)."""
    from yatbench.run.execute import count_params  # imports torch: only when counting

    key = repr(spec.dataset)  # the data's shape depends on its settings, not on the seed
    if key not in _SHAPES:
        splits = spec.dataset.load(spec.seed)
        _SHAPES[key] = (splits.in_features, splits.out_features)
    return count_params(spec.model.build(*_SHAPES[key]))


def within_budget(params: int, budget: int, tolerance: float = TOLERANCE) -> bool:
    """``|params − budget| ≤ tolerance · budget``."""
    return abs(params - budget) <= tolerance * budget


def match_width(dataset_overrides: list[str], model: str, budget: int, extra: list[str] | None = None,
                user_dir: str | Path | None = None, max_width: int = 4096) -> tuple[str, int]:
    """The size override of ``model`` whose parameter count is nearest ``budget``, and that count."""
    if model not in SIZE_KNOBS:
        raise ValueError(f"model {model!r} has no size knob (sized models: {', '.join(SIZE_KNOBS)})")

    def count(width: int) -> int:
        knob = SIZE_KNOBS[model].format(width)
        return param_count([*dataset_overrides, f"model={model}", *(extra or []), knob], user_dir)

    low, high = 1, max_width  # parameter counts grow with the width: bisect for the crossing
    while low < high:
        middle = (low + high) // 2
        if count(middle) < budget:
            low = middle + 1
        else:
            high = middle
    best = min({max(1, low - 1), low}, key=lambda w: abs(count(w) - budget))
    return SIZE_KNOBS[model].format(best), count(best)


def main(argv: list[str]) -> None:
    """``python -m yatbench.sweep.params DATASET BUDGET``: print matched sizes for each model."""
    dataset, budget = argv[0], int(argv[1])
    for model in SIZE_KNOBS:
        knob, params = match_width([f"dataset={dataset}"], model, budget)
        flag = "" if within_budget(params, budget) else f"  (outside {TOLERANCE:.0%})"
        print(f"{model:10s} {knob:24s} {params:8d} params{flag}")
    print(f"{'linear':10s} {'(no size knob)':24s} {param_count([f'dataset={dataset}', 'model=linear']):8d} params")


if __name__ == "__main__":
    main(sys.argv[1:])
