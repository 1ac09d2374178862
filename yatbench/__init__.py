"""yatbench: put Yat-product (ⵟ) neurons beside dot-product networks on small, telling problems.

Data flows one way: Hydra config → dataset + model → trainer → run folder → report.
Importing this package is cheap (no torch): the CLI imports heavy modules only when a
command needs them.
"""

import os

# MKL's conditional numerical reproducibility: with it a seed's stacked products round the same for every
# stack size, so a run is bit-identical alone and in any group of a sweep on the same machine (without it MKL
# may take another kernel for another batch size: 68 of 1 444 random stacked products differed by an ulp on an
# AMD EPYC). AUTO keeps the CPU's fastest instruction set (no measurable cost, README "Seed batching"). MKL
# reads the variable at its first call, so it is set here, before torch multiplies anything; a value the user
# set wins (an empty one keeps MKL's default). Where MKL is not the BLAS (ARM, OpenBLAS, a GPU) it does nothing
# and a seed's numbers alone and in a group agree to float32 rounding (tests/test_trainer.py).
os.environ.setdefault("MKL_CBWR", "AUTO")

__version__ = "0.1.0"
