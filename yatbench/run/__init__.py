"""One run, end to end (:mod:`execute`): a validated spec → data + model → train → measures →
a complete run folder; and recognising a run that is already complete without importing torch
(:mod:`known`).
"""

# The layers this package may import (tests/test_layers.py checks every import, lazy ones too).
MAY_IMPORT: tuple[str, ...] = ("core", "config", "rundir", "nn", "data", "models", "train", "measures")
