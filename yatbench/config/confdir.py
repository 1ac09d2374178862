"""Where the config folders are (yatbench's own, the user's) and the option names of a group, without importing Hydra.

The command line's help texts list the options of a group (datasets, models, sweep presets, executors)
from these files, so they are never a list kept by hand; reading a folder costs no start-up time.
"""

from __future__ import annotations

import os
from pathlib import Path

from yatbench.core.errors import UserError

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the yatbench package
USER_CONFIG_ENV = "YATBENCH_CONFIG_DIR"


def config_dir() -> Path:
    """The packaged ``yatbench/conf`` in an installed wheel, else the repository's ``conf/``."""
    packaged = PACKAGE_DIR / "conf"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "conf"


def packaged_names(group: str) -> list[str]:
    """The options yatbench ships for ``group`` (its ``conf/<group>/*.yaml``), sorted."""
    return sorted(path.stem for path in (config_dir() / group).glob("*.yaml"))


def search_dirs(user_dir: str | Path | None = None) -> list[Path]:
    """Config folders in the order they are searched: the user's first, then yatbench's own."""
    user_dir = user_dir or os.environ.get(USER_CONFIG_ENV)
    dirs = [Path(user_dir).expanduser().resolve()] if user_dir else []
    for folder in dirs:
        if not folder.is_dir():
            raise UserError(f"config folder {folder} does not exist (--config-dir / {USER_CONFIG_ENV}); "
                            "give a folder holding dataset/, model/, ... subfolders")
    return [*dirs, config_dir()]
