"""Datasets, one file each: a config dataclass whose ``load()`` returns :class:`~yatbench.data.base.Splits`
(train / validation / test tensors and the facts the run record keeps) and whose ``feature_counts()`` says the
splits' (in_features, out_features) without making them. Adding a dataset is one file here and one YAML in
``conf/dataset/``. The files name torch and NumPy lazily (:mod:`yatbench.core.lazy`): a config is read, and
``sweep --dry-run`` answers, without importing either.
"""

# The layers this package may import (tests/test_layers.py checks every import, lazy ones too).
MAY_IMPORT: tuple[str, ...] = ("core",)
