"""``yatbench report``: every run under results/ into tables, figures, claims and one index page.

Modules, one concept each: :mod:`load` (run folders → DataFrame), :mod:`stats` (means, intervals),
:mod:`tables`, :mod:`figures` (with :mod:`style`, :mod:`rebuild`, :mod:`measures`),
:mod:`claims` (seed claims, decision rules, verdicts), :mod:`page` (index.md / index.html),
:mod:`build` (all of it, in order).
"""


from yatbench.report.build import Report, build_report

__all__ = ["Report", "build_report"]


# The layers this package may import (tests/test_layers.py checks every import, lazy ones too).
MAY_IMPORT: tuple[str, ...] = ("core", "config", "rundir", "nn", "data", "models", "train", "measures", "sweep")
