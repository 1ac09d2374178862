"""A module that is imported where it is first used, not where it is named.

The dataset files hold both a config dataclass (read by ``yatbench sweep --dry-run``, ``yatbench list`` and the
finished-run check, which must answer without torch) and the code that makes the data with torch. They name
torch and NumPy through :func:`lazy`: the name is bound at import, the module is imported at the first attribute
read (``torch.tensor``), so reading a config costs nothing and making data works as with a plain ``import``.
"""

from __future__ import annotations

import importlib
import types
from typing import Any


class LazyModule(types.ModuleType):
    """Stands for the module ``name``: every attribute read is the real module's (imported on the first)."""

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self.__name__), attribute)


def lazy(name: str) -> Any:
    """The module ``name``, imported at its first use (typed ``Any``: use it as the module itself)."""
    return LazyModule(name)
