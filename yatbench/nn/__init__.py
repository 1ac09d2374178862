"""Neural-network building blocks of yatbench: the Yat-product layer (``yatbench.nn.yat``) and its
nmn-compatible form ``YatNMN`` (``yatbench.nn.yat_nmn``)."""

from yatbench.nn.yat import BIAS_MODES, KERNELS, YatLayer, yat_product, yat_reference
from yatbench.nn.yat_nmn import YatNMN

__all__ = ["BIAS_MODES", "KERNELS", "YatLayer", "YatNMN", "yat_product", "yat_reference"]
