"""Parameter budgets: count a configuration's parameters and find the width that meets a budget.

Comparisons are fair only at matched parameter counts (DESIGN §3, §7). Each model's config says how
it is sized: its ``size_override(width)`` (``yatbench/models/__init__.py``) names the override, e.g.
``model.hidden=[h]`` for ``relu`` and ``yat``, ``model.experts=K`` for ``attention``; a model without
one (``linear``) has its size fixed by the data. A model in a user's config folder is matched the same way.

    python -m yatbench.sweep.params inversion 17270             # widths for every model near that budget
    python -m yatbench.sweep.params xor 40 --config-dir myconf  # and the models of a config folder
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path

from yatbench.config.compose import compose_config, option_names
from yatbench.config.limits import model_shapes
from yatbench.config.spec import RunSpec, validate
from yatbench.core.errors import UserError

TOLERANCE = 0.05
_SHAPES: dict[str, tuple[int, int]] = {}  # dataset settings → (in, out) features, read once


class NoSizeKnob(ValueError):
    """The model's config declares no ``size_override``: its size is fixed by the data."""


def param_count(overrides: list[str], user_dir: str | Path | None = None) -> int:
    """Trainable parameters of the model a list of overrides (``dataset=... model=...``) builds."""
    return spec_param_count(validate(compose_config(list(overrides), user_dir)))


def spec_param_count(spec: RunSpec) -> int:
    """Trainable parameters of a validated run's model, without torch where its configs say their sizes: the
    dataset's ``feature_counts()`` (else its data is read, once per dataset setting) and the model's ``param_shapes``
    (else it is built on the meta device, :func:`yatbench.config.limits.model_shapes`)."""
    key = repr(spec.dataset)  # the data's shape depends on its settings, not on the seed
    if key not in _SHAPES:
        counts = getattr(spec.dataset, "feature_counts", None)
        if callable(counts):
            _SHAPES[key] = counts()
        else:
            splits = spec.dataset.load(spec.seed)
            _SHAPES[key] = (splits.in_features, splits.out_features)
    return sum(math.prod(shape) for shape in model_shapes(spec.model, *_SHAPES[key]))


def within_budget(params: int, budget: int, tolerance: float = TOLERANCE) -> bool:
    """``|params − budget| ≤ tolerance · budget``."""
    return abs(params - budget) <= tolerance * budget


def size_knob(model: str, overrides: list[str] | None = None,
              user_dir: str | Path | None = None) -> Callable[[int], str]:
    """``width → override`` that sizes ``model`` as its config declares (``size_override``), read from the
    config the overrides compose (a depth set there is kept); :class:`NoSizeKnob` if it declares none."""
    config = validate(compose_config([*(overrides or []), f"model={model}"], user_dir)).model
    knob = getattr(config, "size_override", None)
    if not callable(knob):
        raise NoSizeKnob(f"model {model!r} has no size knob: {type(config).__name__} defines no size_override")
    return knob


def match_width(dataset_overrides: list[str], model: str, budget: int, extra: list[str] | None = None,
                user_dir: str | Path | None = None, max_width: int = 4096) -> tuple[str, int]:
    """The size override of ``model`` whose parameter count is nearest ``budget``, and that count."""
    knob = size_knob(model, [*dataset_overrides, *(extra or [])], user_dir)

    def count(width: int) -> int:
        return param_count([*dataset_overrides, f"model={model}", *(extra or []), knob(width)], user_dir)

    low, high = 1, max_width  # parameter counts grow with the width: bisect for the crossing
    while low < high:
        middle = (low + high) // 2
        if count(middle) < budget:
            low = middle + 1
        else:
            high = middle
    best = min({max(1, low - 1), low}, key=lambda w: abs(count(w) - budget))
    return knob(best), count(best)


def main(argv: list[str]) -> None:
    """``python -m yatbench.sweep.params DATASET BUDGET [--config-dir DIR]``: matched sizes for each model."""
    user_dir = None
    if "--config-dir" in argv:
        at = argv.index("--config-dir")
        user_dir, argv = argv[at + 1], argv[:at] + argv[at + 2:]
    dataset, budget = argv[0], int(argv[1])
    for model in option_names("model", user_dir):
        try:
            knob, params = match_width([f"dataset={dataset}"], model, budget, user_dir=user_dir)
        except NoSizeKnob:
            fixed = param_count([f"dataset={dataset}", f"model={model}"], user_dir)
            print(f"{model:10s} {'(no size knob)':24s} {fixed:8d} params")
            continue
        flag = "" if within_budget(params, budget) else f"  (outside {TOLERANCE:.0%})"
        print(f"{model:10s} {knob:24s} {params:8d} params{flag}")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (UserError, ValueError, IndexError) as exc:  # one line, as every yatbench command ends on bad input
        detail = str(exc) if isinstance(exc, UserError) else "usage: python -m yatbench.sweep.params DATASET BUDGET " \
            "[--config-dir DIR]"
        sys.exit(f"error: {detail}")
