"""Hydra configuration: where the config folder is (:mod:`confdir`), composing a run's config
(:mod:`compose`), validating it into a typed :class:`~yatbench.config.spec.RunSpec` (:mod:`spec`) and
the limits on sizes and budgets (:mod:`limits`). The config groups in ``conf/`` mirror the packages:
``dataset/`` ↔ :mod:`yatbench.data`, ``model/`` ↔ :mod:`yatbench.models`, ``trainer/`` ↔ :mod:`yatbench.train`.
"""

# The layers this package may import (tests/test_layers.py checks every import, lazy ones too).
MAY_IMPORT: tuple[str, ...] = ("core", "rundir")
