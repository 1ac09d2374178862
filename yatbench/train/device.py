"""Choose the torch device a run asked for, failing clearly when it is not there."""

from __future__ import annotations

import functools
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch

from yatbench.core.errors import UserError


def resolve_device(name: str) -> torch.device:
    """``auto`` picks cuda, then mps, then cpu; a named device must be available."""
    mps_ok = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if mps_ok else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UserError("device=cuda was asked for but torch sees no CUDA GPU; use device=cpu or device=auto", 1)
    if name == "mps" and not mps_ok:
        raise UserError("device=mps was asked for but this torch has no MPS support; use device=cpu or device=auto", 1)
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators (all devices)."""
    random.seed(seed)
    np.random.seed(seed)
    if _cpu_only():
        torch.default_generator.manual_seed(seed)  # all that torch.manual_seed does on such a machine
    else:
        torch.manual_seed(seed)


@functools.cache
def _cpu_only() -> bool:
    """Whether torch has no device but the CPU to seed (no CUDA, MPS, XPU, MTIA or custom backend).

    ``torch.manual_seed`` then seeds the CPU generator and, for each absent device, queues a lazy seed
    with a formatted stack (``traceback.format_stack``): about a millisecond per call, twice per run in a
    sweep, for seeds that are never applied. Asked once per process.
    """
    try:
        return not (torch.cuda.is_available() or torch._C._has_mps or torch.xpu.is_available()
                    or torch.mtia.is_available() or hasattr(torch, torch._C._get_privateuse1_backend_name()))
    except Exception:  # a backend that cannot even say: seed the way torch does
        return False


@contextmanager
def intra_op_threads(threads: int | None) -> Iterator[None]:
    """Run with ``threads`` torch intra-op threads (then restore), unless None or the user set ``OMP_NUM_THREADS``.

    Tiny models gain nothing from intra-op threads and lose much on a busy machine: the trainer asks
    for one thread for runs it trains stacked (``yatbench/train/trainer.py``, ``SMALL_WORK``).
    """
    if threads is None or os.environ.get("OMP_NUM_THREADS"):
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
