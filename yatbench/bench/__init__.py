"""``yatbench bench``: the Yat layer's speed and memory against Linear+ReLU (:mod:`layer`,
:mod:`table`), trainer throughput (:mod:`throughput`), cost against work (:mod:`scaling`: sweeps, layer
width, stack depth (:mod:`depth`), each with its fitted growth (:mod:`growth`)), and the command that runs
them (:mod:`command`). Timings live here and in the README, never in the tests.
"""

# The layers this package may import (tests/test_layers.py checks every import, lazy ones too).
MAY_IMPORT: tuple[str, ...] = ("core", "config", "rundir", "nn", "data", "models", "train", "measures", "run")
