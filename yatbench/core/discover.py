"""The modules of a package, found rather than listed: claims, figures and measurements are each one new
module in their package, and whoever gathers them asks here."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from types import ModuleType


def package_modules(package: str, path: Iterable[str], first: tuple[str, ...] = (),
                    skip: tuple[str, ...] = ()) -> list[ModuleType]:
    """Every module of ``package`` (found on its ``__path__``, ``path``) but those in ``skip``, imported: the
    ones named in ``first`` in that order, then the others by name."""
    names = sorted(m.name for m in pkgutil.iter_modules(path) if m.name not in skip)
    order = [n for n in first if n in names] + [n for n in names if n not in first]
    return [importlib.import_module(f"{package}.{name}") for name in order]
