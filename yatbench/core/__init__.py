"""What every layer shares, and nothing else: the user-error type (:mod:`errors`), safe atomic
file writes that never follow a link (:mod:`safe_paths`, :mod:`owner`), progress lines
(:mod:`progress`), tables that fit the terminal (:mod:`narrow`), the modules a package declares its parts in
(:mod:`discover`: claims, figures, measurements), and the vocabulary of a run — its
record's schema (:mod:`record`) and its identity (:mod:`identity`), defined once here so that the run
folder, the sweep and the report agree on them; the Yat layer's option vocabulary (:mod:`yat_options`), which
model configs check without torch. Imports no other part of yatbench; no torch.
"""

# The layers this package may import (tests/test_layers.py checks every import, lazy ones too).
MAY_IMPORT: tuple[str, ...] = ()
