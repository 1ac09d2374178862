"""The modules of a package, found rather than listed: claims, figures and measurements are each one new
module in their package, and whoever gathers them asks here."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import time
from collections.abc import Iterable
from types import ModuleType


def package_modules(package: str, path: Iterable[str], first: tuple[str, ...] = (),
                    skip: tuple[str, ...] = ()) -> list[ModuleType]:
    """Every module of ``package`` (found on its ``__path__``, ``path``) but those in ``skip``, imported: the
    ones named in ``first`` in that order, then the others by name.

    The listing is kept while the package's folders are unchanged (their modification times, once settled):
    a sweep asks for the measurements several times per run, and listing a folder costs 0.2–2 ms; a module
    added or removed changes its folder's time, and is found.
    """
    folders = tuple(path)
    stamp = tuple(_modified(folder) for folder in folders)
    key = (package, folders, first, skip)
    kept = _LISTED.get(key)
    if kept is not None and kept[0] == stamp and all(sys.modules.get(m.__name__) is m for m in kept[1]):
        return list(kept[1])
    names = sorted(m.name for m in pkgutil.iter_modules(folders) if m.name not in skip)
    order = [n for n in first if n in names] + [n for n in names if n not in first]
    modules = [importlib.import_module(f"{package}.{name}") for name in order]
    if time.time_ns() - max(stamp, default=0) > SETTLED_NS:  # a folder's time ticks coarsely: trust a settled one
        _LISTED[key] = (stamp, modules)
    return list(modules)


# A listing is kept only for folders unchanged this long: a module written within the same tick of the file
# system's clock as the listing would leave the folder's time as it was.
SETTLED_NS = 2_000_000_000
_LISTED: dict[tuple[object, ...], tuple[tuple[int, ...], list[ModuleType]]] = {}


def _modified(folder: str) -> int:
    """A folder's modification time in ns; -1 when it cannot be read."""
    try:
        return os.stat(folder).st_mtime_ns
    except OSError:
        return -1
