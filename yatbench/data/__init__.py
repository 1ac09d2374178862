"""Datasets, one file each: a config dataclass whose ``load()`` returns :class:`~yatbench.data.base.Splits`
(train / validation / test tensors and the facts the run record keeps). Adding a dataset is one file
here and one YAML in ``conf/dataset/``.
"""

# The layers this package may import (tests/test_layers.py checks every import, lazy ones too).
MAY_IMPORT: tuple[str, ...] = ("core",)
