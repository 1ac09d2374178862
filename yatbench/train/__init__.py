"""One training loop (:mod:`trainer`) for every dataset and model: the objective per task
(:mod:`objective`), full-batch L-BFGS for PDEs (:mod:`lbfgs`), seed-stacked training of many seeds as
one model (:mod:`replicas`, :mod:`stacked`), early stopping on the validation split, and the device
choice (:mod:`device`). Takes built models and loaded splits; writes nothing to disk.
"""

# The layers this package may import (tests/test_layers.py checks every import, lazy ones too).
MAY_IMPORT: tuple[str, ...] = ("core", "nn", "data", "models")
