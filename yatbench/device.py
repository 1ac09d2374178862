"""Choose the torch device a run asked for, failing clearly when it is not there."""

from __future__ import annotations

import random

import numpy as np
import torch

from yatbench.errors import UserError


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
    torch.manual_seed(seed)
