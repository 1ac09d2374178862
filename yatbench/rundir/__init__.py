"""The run folder on disk: creating, completing and resuming it atomically (:mod:`results`),
its artifacts (:mod:`artifacts`: weights, class means, test outcomes), exports that researchers' own
tools read (:mod:`export`), user tags (:mod:`tags`) and provenance (:mod:`provenance`: commit, versions,
machine). Never imports torch at module level: the CLI recognises finished runs without it.
"""

# The layers this package may import (tests/test_layers.py checks every import, lazy ones too).
MAY_IMPORT: tuple[str, ...] = ("core",)
