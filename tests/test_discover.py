"""Modules found rather than listed (yatbench/core/discover.py): a listing is kept while its folder is unchanged."""

from __future__ import annotations

import os
import pkgutil
import sys
from pathlib import Path

from yatbench.core import discover


def _package(tmp_path: Path, name: str, modules: list[str]) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    for module in modules:
        (folder / f"{module}.py").write_text(f"NAME = {module!r}\n")
    return folder


def _settle(folder: Path, seconds_ago: int) -> None:
    """Give the folder a modification time well in the past (as an installed package has)."""
    old = os.stat(folder).st_mtime - seconds_ago
    os.utime(folder, (old, old))


def test_a_settled_folder_is_listed_once_and_a_change_is_seen(tmp_path: Path, monkeypatch) -> None:
    name = "yb_discover_probe"
    folder = _package(tmp_path, name, ["b_second", "a_first"])
    monkeypatch.syspath_prepend(str(tmp_path))
    listings = []
    real = pkgutil.iter_modules
    monkeypatch.setattr(pkgutil, "iter_modules", lambda path: listings.append(path) or real(path))
    try:
        _settle(folder, 100)
        found = discover.package_modules(name, [str(folder)], first=("b_second",))
        assert [m.NAME for m in found] == ["b_second", "a_first"] and len(listings) == 1
        assert discover.package_modules(name, [str(folder)], first=("b_second",)) == found and len(listings) == 1
        (folder / "c_third.py").write_text("NAME = 'c_third'\n")  # a module added: the folder's time moves
        _settle(folder, 50)
        again = discover.package_modules(name, [str(folder)], first=("b_second",))
        assert [m.NAME for m in again] == ["b_second", "a_first", "c_third"] and len(listings) == 2
        sys.modules.pop(f"{name}.a_first")  # a module no longer imported is imported again, not returned stale
        assert [m.NAME for m in discover.package_modules(name, [str(folder)], first=("b_second",))][1] == "a_first"
        assert len(listings) == 3
        (folder / "d_fresh.py").write_text("NAME = 'd_fresh'\n")  # a folder changed just now: listed every time
        for _ in range(2):
            assert "d_fresh" in [m.NAME for m in discover.package_modules(name, [str(folder)])]
        assert len(listings) == 5
    finally:
        for key in [k for k in sys.modules if k == name or k.startswith(f"{name}.")]:
            sys.modules.pop(key)
