"""Which implementation of the Yat layer's elementwise work runs: eager PyTorch or the fused numba kernels.

The choice is an execution setting, never part of a run's identity: both paths compute the same
formula with the same accuracy repair and agree to rounding (the forward bit for bit except at
repaired entries; gradients differ in the order their sums are taken). It is read from the
environment variable ``YATBENCH_KERNEL`` once, or set with :func:`set_kernel_impl` /
:func:`use_kernel_impl`:

- ``eager`` (default): the eager reference path (``yatbench/nn/yat_function.py``), everywhere;
- ``numba``: the fused kernels (``yatbench/nn/yat_fused.py``) for float32/float64 CPU tensors outside
  torch.func transforms and tracing; eager everywhere else (CUDA, the ablation kernels). An error if
  numba is not installed.

Why eager is the default: on this project's 2-core CPU the fused kernels were measured no faster than
eager at the benchmark's shapes (README, "Speed"): there the ~16 elementwise N×m passes they replace
cost about as much as the kernel calls themselves, and what separates the layer from Linear+ReLU is
the d-long passes (‖x‖², ‖w‖², x ⊙ Σv, W ⊙ Σv) and per-call overhead. A default that changes trained
numbers at the rounding level (gradient sums in another order) and costs every process ≈ 2 s on its
first fused call (importing numba, loading the cached kernels) needs a measured gain first.

Nothing here imports numba: :func:`numba_available` only looks for it, and the kernels
(``yatbench/nn/yat_fused_kernels.py``) are imported on their first use.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager

from yatbench.core.errors import UserError

IMPLS = ("eager", "numba")
ENV = "YATBENCH_KERNEL"
_chosen: str | None = None
_numba: bool | None = None


def parse_impl(value: str, source: str = ENV) -> str:
    """``value`` as one of :data:`IMPLS`, else a one-line :class:`UserError` naming ``source``."""
    key = str(value).strip().lower()
    if key not in IMPLS:
        raise UserError(f"{source}={value!r} is not valid; choose one of: {', '.join(IMPLS)}")
    if key == "numba" and not numba_available():
        raise UserError(f"{source}=numba but numba is not installed (pip install 'yatbench[fast]'); "
                        "use eager")
    return key


def numba_available() -> bool:
    """True when numba can be imported (looked up once, without importing it)."""
    global _numba
    if _numba is None:
        _numba = importlib.util.find_spec("numba") is not None
    return _numba


def kernel_impl() -> str:
    """The implementation asked for: :func:`set_kernel_impl`'s, else ``YATBENCH_KERNEL``'s, else ``eager``."""
    global _chosen
    if _chosen is None:
        _chosen = parse_impl(os.environ.get(ENV, "eager") or "eager")
    return _chosen


def set_kernel_impl(impl: str | None) -> None:
    """Choose the implementation for this process (None: back to ``YATBENCH_KERNEL`` / ``eager``)."""
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


def fused_applies(impl: str, device_type: str, float_dtype: bool) -> bool:
    """Whether ``impl`` runs the fused kernels on a layer call (on ``device_type``, a float32/64 compute dtype)."""
    return impl == "numba" and device_type == "cpu" and float_dtype


def path_name(device_type: str = "cpu") -> str:
    """The path a float32 layer call on ``device_type`` takes now: ``numba`` or ``eager``."""
    return "numba" if fused_applies(kernel_impl(), device_type, True) else "eager"
