"""Which implementation of the Yat layer's elementwise work runs: eager PyTorch or the fused numba kernels.

The choice is an execution setting, never part of a run's identity: both paths compute the same
formula with the same accuracy repair and agree to rounding (the forward bit for bit except at
repaired entries; gradients differ in the order their sums are taken). It is read from the
environment variable ``YATBENCH_KERNEL`` once, or set with :func:`set_kernel_impl` /
:func:`use_kernel_impl`:

- ``auto`` (default): the fused kernels where numba is installed, for float32/float64 CPU tensors of
  at least :data:`AUTO_MIN_ELEMENTS` outputs per seed (see there); eager PyTorch everywhere else (no
  numba, CUDA, torch.func transforms, tracing, the ablation kernels);
- ``eager``: always the eager reference path (``yatbench/nn/yat_function.py``);
- ``numba``: the fused kernels wherever they apply (CPU float32/float64, no transform), whatever the size;
  an error if numba is not installed.

Nothing here imports numba: :func:`numba_available` only looks for it, and the kernels
(``yatbench/nn/yat_fused_kernels.py``) are imported on their first use.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager

from yatbench.errors import UserError

IMPLS = ("auto", "eager", "numba")
ENV = "YATBENCH_KERNEL"
# Outputs (batch × units) per seed from which ``auto`` takes the fused path: 256 × 256, the benchmark's
# smaller layer. The fused path saves about a millisecond a step there, and the process pays once for
# importing numba (≈ 0.6 s) and loading the compiled kernels (compiling them, ≈ 10 s, the first time on a
# machine); for smaller layers the saving is microseconds and would not repay that within a short run.
# Small runs (XOR, the bundled MNIST classifier) therefore keep the eager path and its numbers bit for bit.
AUTO_MIN_ELEMENTS = 65536

_chosen: str | None = None
_numba: bool | None = None


def parse_impl(value: str, source: str = ENV) -> str:
    """``value`` as one of :data:`IMPLS`, else a one-line :class:`UserError` naming ``source``."""
    key = str(value).strip().lower()
    if key not in IMPLS:
        raise UserError(f"{source}={value!r} is not valid; choose one of: {', '.join(IMPLS)}")
    if key == "numba" and not numba_available():
        raise UserError(f"{source}=numba but numba is not installed (pip install 'yatbench[fast]'); "
                        "use auto or eager")
    return key


def numba_available() -> bool:
    """True when numba can be imported (looked up once, without importing it)."""
    global _numba
    if _numba is None:
        _numba = importlib.util.find_spec("numba") is not None
    return _numba


def kernel_impl() -> str:
    """The implementation asked for: :func:`set_kernel_impl`'s, else ``YATBENCH_KERNEL``'s, else ``auto``."""
    global _chosen
    if _chosen is None:
        _chosen = parse_impl(os.environ.get(ENV, "auto") or "auto")
    return _chosen


def set_kernel_impl(impl: str | None) -> None:
    """Choose the implementation for this process (None: back to ``YATBENCH_KERNEL`` / ``auto``)."""
    global _chosen
    _chosen = None if impl is None else parse_impl(impl, "kernel_impl")


@contextmanager
def use_kernel_impl(impl: str) -> Iterator[None]:
    """Run a block with ``impl``, then restore the previous choice."""
    global _chosen
    before = _chosen
    set_kernel_impl(impl)
    try:
        yield
    finally:
        _chosen = before


def fused_applies(impl: str, device_type: str, float_dtype: bool, per_seed: int) -> bool:
    """Whether ``impl`` runs the fused kernels on a layer call (CPU, float32/64, ``per_seed`` outputs a seed)."""
    if impl == "eager" or device_type != "cpu" or not float_dtype:
        return False
    if impl == "numba":
        return True
    return per_seed >= AUTO_MIN_ELEMENTS and numba_available()


def path_name(device_type: str = "cpu", per_seed: int = AUTO_MIN_ELEMENTS) -> str:
    """The path a float32 layer call of ``per_seed`` outputs takes now: ``numba`` or ``eager``."""
    return "numba" if fused_applies(kernel_impl(), device_type, True, per_seed) else "eager"
