"""The models and datasets the tests loop over, read from the config groups: never a list kept by hand.

A model or dataset added to ``conf/`` is in every test that loops over these. So is one in a user's
config folder named by ``YATBENCH_CONFIG_DIR`` (its modules importable): that is how
``tests/test_registry.py`` runs the group-independence and bad-input tests on a model written into a
temporary folder, unchanged.
"""

from __future__ import annotations

import os

from yatbench.config.compose import option_names
from yatbench.config.confdir import USER_CONFIG_ENV


def user_dir() -> str | None:
    """The user's config folder the tests see (``YATBENCH_CONFIG_DIR``), if any."""
    return os.environ.get(USER_CONFIG_ENV) or None


def config_dir_args() -> list[str]:
    """``--config-dir DIR`` for a CLI call in a test, when a user's folder is set."""
    folder = user_dir()
    return ["--config-dir", folder] if folder else []


def models() -> list[str]:
    """Every model option: yatbench's ``conf/model/`` and the user's, sorted."""
    return option_names("model", user_dir())


def datasets() -> list[str]:
    """Every dataset option: yatbench's ``conf/dataset/`` and the user's, sorted."""
    return option_names("dataset", user_dir())
