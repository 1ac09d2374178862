"""The architectures compared by yatbench, one file each.

Every model file holds a config dataclass (its options, validated on construction) whose
``build(in_features, out_features)`` returns the ``nn.Module``. Every module exposes
``input_weights()``: the parameters that multiply the raw input, which the inversion test
negates (w → −w) and the report draws as images. Adding a model is one file here and one YAML in
``conf/model/``.
"""

# The layers this package may import (tests/test_layers.py checks every import, lazy ones too).
MAY_IMPORT: tuple[str, ...] = ("core", "nn")
