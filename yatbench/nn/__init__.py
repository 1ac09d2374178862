"""Neural-network building blocks: the Yat-product layer (``yatbench.nn.yat``, its math in the
docstring), its arithmetic (``yat_function``, the fused numba kernels and the switch between them in
``kernel_impl``), nmn's drop-in ``YatNMN`` and the seed-stacked layers every model is built from
(``stacked``). Knows nothing of datasets, training or run folders.
"""


from yatbench.nn.yat import BIAS_MODES, KERNELS, YatLayer, yat_product, yat_reference
from yatbench.nn.yat_nmn import YatNMN

__all__ = ["BIAS_MODES", "KERNELS", "YatLayer", "YatNMN", "yat_product", "yat_reference"]


# The layers this package may import (tests/test_layers.py checks every import, lazy ones too).
MAY_IMPORT: tuple[str, ...] = ("core",)
