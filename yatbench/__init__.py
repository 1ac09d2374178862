"""yatbench: put Yat-product (ⵟ) neurons beside dot-product networks on small, telling problems.

Data flows one way: Hydra config → dataset + model → trainer → run folder → report.
Importing this package is cheap (no torch): the CLI imports heavy modules only when a
command needs them.
"""

__version__ = "0.1.0"
