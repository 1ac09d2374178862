"""Where yatbench's own config folder is, and the option names of a group, without importing Hydra.

The command line's help texts list the options of a group (datasets, models, sweep presets, executors)
from these files, so they are never a list kept by hand; reading a folder costs no start-up time.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the yatbench package


def config_dir() -> Path:
    """The packaged ``yatbench/conf`` in an installed wheel, else the repository's ``conf/``."""
    packaged = PACKAGE_DIR / "conf"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "conf"


def packaged_names(group: str) -> list[str]:
    """The options yatbench ships for ``group`` (its ``conf/<group>/*.yaml``), sorted."""
    return sorted(path.stem for path in (config_dir() / group).glob("*.yaml"))
