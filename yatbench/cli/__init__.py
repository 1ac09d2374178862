"""The ``yatbench`` command (:mod:`main`, Typer): parses arguments, turns every expected failure
into one line and an exit code (:mod:`errors`), lists what exists (:mod:`catalog`), and imports the
heavy layers only when a command needs them.
"""

# The layers this package may import (tests/test_layers.py checks every import, lazy ones too).
MAY_IMPORT: tuple[str, ...] = ("core", "config", "rundir", "nn", "data", "models", "train", "measures", "run", "sweep",
                               "report", "bench")
