"""Neural-network building blocks of yatbench: the Yat-product layer (``yatbench.nn.yat``)."""

from yatbench.nn.yat import BIAS_MODES, KERNELS, YatLayer, yat_product, yat_reference

__all__ = ["BIAS_MODES", "KERNELS", "YatLayer", "yat_product", "yat_reference"]
