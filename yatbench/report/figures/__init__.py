"""The report's figures, one module per topic; every maker returns the :class:`Figure` (s) it wrote, or None.

Figures that show trained models rebuild them from their run folders at the sizes their records
state (see :mod:`yatbench.report.rebuild`); the only data regenerated are the synthetic XOR
corners and compositional laws. Each figure draws one configuration per model (the one
:func:`yatbench.report.load.main_variants` names), or one figure per configuration, never a pool.

Adding a figure is one module here that defines ``FIGURES`` (makers ``ctx → Figure | [Figure] |
None``): such modules are found by name and drawn after the ones listed below. The page's sections are
found the same way: a module declares the sections it introduces in ``SECTIONS`` (:class:`Section`).

Every maker is drawn through :func:`yatbench.report.guard.attempt`: one that raises is recorded in
``ctx.failures`` (named on the page and on stderr) and its half-drawn figures are closed; the others
are still drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from yatbench.core.discover import package_modules
from yatbench.report.context import Context
from yatbench.report.figures.base import Figure, Section
from yatbench.report.figures.compositional import compositional_fits
from yatbench.report.figures.curves import budget_datasets, learning_curves, param_budget
from yatbench.report.figures.formula import response_field, territories
from yatbench.report.figures.images import inversion_bars, prototypes
from yatbench.report.figures.xor import decision_regions
from yatbench.report.guard import attempt

__all__ = ["Figure", "Section", "all_figures", "figure_makers", "page_sections"]


def _modules() -> list[Any]:
    """Every module of this package, by name."""
    return package_modules(__name__, __path__)


def page_sections(figures: list[Figure] = ()) -> list[Section]:
    """The page's sections in order: those the modules declare (``SECTIONS``) by rank, then one per section
    key that ``figures`` name and no module declares (titled by its key), so that no figure is left off."""
    declared: dict[str, Section] = {}
    for module in _modules():
        for section in getattr(module, "SECTIONS", ()):
            if section.key in declared:
                raise ValueError(f"report section {section.key!r} is declared twice ({module.__name__})")
            declared[section.key] = section
    ordered = sorted(declared.values(), key=lambda s: (s.rank, s.key))
    last = max((s.rank for s in ordered), default=0)
    undeclared = [key for key in dict.fromkeys(f.section for f in figures) if key not in declared]
    return ordered + [Section(key, key.replace("_", " ").capitalize(), "", last + 1 + i)
                      for i, key in enumerate(undeclared)]


def figure_makers(ctx: Context) -> list[tuple[str, Callable[[], Any]]]:
    """Every figure maker the runs (and the formula) call for, by name, in page order."""
    makers: list[tuple[str, Callable[[], Any]]] = [
        ("decision_regions xor", lambda: decision_regions(ctx, "xor")), ("response_field", lambda: response_field(ctx)),
        ("territories", lambda: territories(ctx)), ("compositional_fits", lambda: compositional_fits(ctx)),
        ("prototypes", lambda: prototypes(ctx)), ("inversion_bars", lambda: inversion_bars(ctx))]
    runs = ctx.table.runs
    for dataset in (list(dict.fromkeys(runs["dataset"])) if not runs.empty else []):
        makers.append((f"learning_curves {dataset}", lambda d=dataset: learning_curves(ctx, d)))
    for dataset in budget_datasets(ctx):
        makers.append((f"param_budget {dataset}", lambda d=dataset: param_budget(ctx, d)))
    for module in _modules():
        makers += [(make.__name__, lambda f=make: f(ctx)) for make in getattr(module, "FIGURES", ())]
    return makers


def all_figures(ctx: Context, wanted: Callable[[str], bool] = lambda name: True) -> list[Figure]:
    """Every figure the runs (and the formula) allow, in page order; a maker that fails is recorded in
    ``ctx.failures`` and drawn no further. ``wanted``: which makers to draw, by name (default all)."""
    from yatbench.report.style import pyplot

    plt = pyplot()
    figures: list[Figure] = []
    for name, make in figure_makers(ctx):
        if not wanted(name):
            continue
        before = set(plt.get_fignums())
        made = attempt("figure", name, make, ctx.failures,
                       cleanup=lambda before=before: [plt.close(n) for n in plt.get_fignums() if n not in before])
        figures.extend(made if isinstance(made, list) else [made] if made is not None else [])
    return figures
