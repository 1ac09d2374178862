"""The architectures compared by yatbench, one file each.

Every model file holds a config dataclass (its options, validated on construction) whose
``build(in_features, out_features)`` returns the ``nn.Module``. Every module exposes
``input_weights()``: the parameters that multiply the raw input, which the inversion test
negates (w → −w) and the report draws as images. A config whose model has a size (widths,
experts) also defines ``size_override(width) -> str``: the one override that sizes it by an integer
its parameter count grows with, which parameter matching (``yatbench/sweep/params.py``) bisects;
a model without one (``linear``) has its size fixed by the data.

Adding a model is one file here (or in any importable package) and one YAML in ``conf/model/`` (or
in a user's ``--config-dir``): the command line, the report's styles, parameter matching and the
tests' model lists all read the config group (``tests/test_registry.py`` proves it with a model
written into a temporary folder).
"""

# The layers this package may import (tests/test_layers.py checks every import, lazy ones too).
MAY_IMPORT: tuple[str, ...] = ("core", "nn")
