"""The architectures compared by yatbench: for each, its options (``yat.py``) and its network (``yat_net.py``).

Every options file holds a config dataclass (validated on construction) whose ``build(in_features,
out_features)`` returns the ``nn.Module`` of the matching ``*_net.py``, imported there and then: the options
files import no torch, so that ``yatbench sweep --dry-run``, ``list`` and the finished-run check answer without
it. A config also says ``param_shapes(in_features, out_features)``, the shapes of the trainable parameters
``build`` makes, in their order (the size check and the dry run's parameter counts read them; a config without
one is built on torch's meta device instead; ``tests/test_sizes_without_torch.py`` holds them equal). Every
network exposes ``input_weights()``: the parameters that multiply the raw input, which the inversion test
negates (w → −w) and the report draws as images. A config whose model has a size (widths, experts) also defines
``size_override(width) -> str``: the one override that sizes it by an integer its parameter count grows with,
which parameter matching (``yatbench/sweep/params.py``) bisects; a model without one (``linear``) has its size
fixed by the data.

Adding a model is one file here (or in any importable package: its config and network may share it, and
then a dry run of it imports torch) and one YAML in ``conf/model/`` (or in a user's ``--config-dir``): the
command line, the report's styles, parameter matching and the tests' model lists all read the config group
(``tests/test_registry.py`` proves it with a model written into a temporary folder).
"""

# The layers this package may import (tests/test_layers.py checks every import, lazy ones too).
MAY_IMPORT: tuple[str, ...] = ("core", "nn")
