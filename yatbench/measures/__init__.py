"""What a run measures besides its loss and accuracy, from the trained model, the data and the history.

Each module here that defines ``MEASUREMENTS`` (:class:`yatbench.measures.base.Measurement` objects,
declaring what they need and what they record) is found by :func:`measurements`, and the run
(``yatbench/run/execute.py``) measures every one that applies: adding a measurement is one new module
here and no edit elsewhere. Besides those, :mod:`onchip` is the Yat layer's on-chip cost, measured by
the cost claim and the benchmark rather than by runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from yatbench.core.discover import package_modules

if TYPE_CHECKING:
    from yatbench.measures.base import Measurement

# The layers this package may import (tests/test_layers.py checks every import, lazy ones too).
MAY_IMPORT: tuple[str, ...] = ("core", "nn", "data", "models", "train")

# The order in which runs have always recorded these modules' metrics (metrics.json keeps it); any other
# module follows, by name.
FIRST = ("inversion", "analysis", "gradients", "labour")


def measurements() -> list[Measurement]:
    """Every measurement of every module of this package that defines ``MEASUREMENTS``: the modules in
    ``FIRST`` in that order, then the others by name; each module's in the order it lists them."""
    found = [m for module in package_modules(__name__, __path__, FIRST, skip=("base",))
             for m in getattr(module, "MEASUREMENTS", ())]
    seen: set[str] = set()
    for m in found:
        if m.name in seen:
            raise ValueError(f"two measurements are named {m.name!r}")
        seen.add(m.name)
    return found
