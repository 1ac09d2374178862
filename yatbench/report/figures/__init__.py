"""The report's figures, one module per topic; every maker returns the :class:`Figure` (s) it wrote, or None.

Figures that show trained models rebuild them from their run folders at the sizes their records
state (see :mod:`yatbench.report.rebuild`); the only data regenerated are the synthetic XOR
corners and compositional laws. Each figure draws one configuration per model (the one
:func:`yatbench.report.load.main_variants` names), or one figure per configuration, never a pool.

Adding a figure is one module here that defines ``FIGURES`` (makers ``ctx → Figure | [Figure] |
None``): such modules are found by name and drawn after the ones listed below.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from yatbench.report.context import Context
from yatbench.report.figures.base import Figure
from yatbench.report.figures.compositional import compositional_fits
from yatbench.report.figures.curves import budget_datasets, learning_curves, param_budget
from yatbench.report.figures.formula import response_field, territories
from yatbench.report.figures.images import inversion_bars, prototypes
from yatbench.report.figures.xor import decision_regions

__all__ = ["Figure", "all_figures"]


def all_figures(ctx: Context) -> list[Figure]:
    """Every figure the runs (and the formula) allow, in page order."""
    makers: list[Callable[[], Any]] = [lambda: decision_regions(ctx, "xor"), lambda: response_field(ctx),
                                       lambda: territories(ctx), lambda: compositional_fits(ctx),
                                       lambda: prototypes(ctx), lambda: inversion_bars(ctx)]
    runs = ctx.table.runs
    for dataset in (list(dict.fromkeys(runs["dataset"])) if not runs.empty else []):
        makers.append(lambda d=dataset: learning_curves(ctx, d))
    for dataset in budget_datasets(ctx):
        makers.append(lambda d=dataset: param_budget(ctx, d))
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        makers += [lambda f=make: f(ctx) for make in getattr(module, "FIGURES", ())]
    figures: list[Figure] = []
    for make in makers:
        made = make()
        figures.extend(made if isinstance(made, list) else [made] if made is not None else [])
    return figures
