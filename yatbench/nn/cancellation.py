"""Where the expanded distance cancels (x ≈ w): finding those entries and recomputing them directly.

The Yat layer computes ‖x − w‖² as ‖x‖² + ‖w‖² − 2x·w from the one GEMM; next to a true distance
of order ε that expansion is wrong by 10–100 % in fp32 (the argument is in ``yatbench/nn/yat.py``).
This module screens for such entries and recomputes them from the difference; the forward, the
backward and the plain-autograd reference all use it. It also says whether a ``torch.func``
transform wraps a tensor (the repair picks entries by value, which vmap cannot batch).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor

# An expanded distance below KAPPA·(‖x‖² + ‖w‖² + 2|b|) is recomputed directly. The expansion's
# rounding error is a few ulp of that scale, so an entry kept has relative error ≲ few·u/KAPPA ≈
# 1e-5 in fp32 (u = 6e-8), and an entry recomputed is exact to a few ulp of ‖x − w‖² itself.
KAPPA = 2.0**-6
# Pairs recomputed at once: bounds the (pairs × d) temporary of the direct distance.
_CHUNK_ELEMENTS = 2**22
# Python numbers in tensor arithmetic cost microseconds each to wrap; 0-dim tensors (usable with
# any float dtype and device, like a number) do not.
_KAPPA = torch.tensor(KAPPA)

is_wrapped = torch._C._functorch.is_functorch_wrapped_tensor
transforms_active = torch._C._are_functorch_transforms_active


def plain(*tensors: Tensor | None) -> bool:
    """True when no tensor is wrapped by a torch.func transform (vmap/grad), so in-place is safe."""
    return not any(t is not None and is_wrapped(t) for t in tensors)


def vmapped(*tensors: Tensor | None) -> bool:
    """True when a tensor is batched by ``torch.func.vmap`` at some level (under any other wrapper).

    The cancellation repair picks entries by value (data-dependent shapes), which vmap cannot
    batch; such inputs take the plain expanded formula instead (see ``yat.py``).
    """
    for t in tensors:
        while t is not None and is_wrapped(t):
            if torch._C._functorch.is_batchedtensor(t):
                return True
            t = torch._C._functorch.get_unwrapped(t)
    return False


def cancelled(den: Tensor, xx: Tensor, scale: Tensor) -> tuple[Tensor, ...] | None:
    """Index tuple of the entries of ``den`` (…, N, m) below KAPPA·(xx_n + scale_j), or None.

    One row-wise minimum screens the rows (no N×m temporary in the common case where nothing has
    cancelled); only suspect rows are compared entry by entry. ``xx`` is (…, N), ``scale`` (…, m).
    """
    suspect = den.amin(-1) < torch.add(xx, scale.amax(-1, keepdim=True)).mul_(_KAPPA)
    if not bool(suspect.any()):
        return None
    rows = suspect.nonzero(as_tuple=True)
    row_scale = scale[rows[:-1]] if len(rows) > 1 else scale.unsqueeze(0)
    r, j = (den[rows] < KAPPA * (xx[rows].unsqueeze(-1) + row_scale)).nonzero(as_tuple=True)
    if r.numel() == 0:
        return None
    return (*(t[r] for t in rows), j)


def pair_differences(x: Tensor, weight: Tensor, pos: tuple[Tensor, ...]) -> Iterator[tuple[slice, Tensor]]:
    """(chunk, x_n − w_j) for the pairs at ``pos``, in chunks of bounded size."""
    k, d = pos[-1].numel(), x.shape[-1]
    step = max(1, _CHUNK_ELEMENTS // max(d, 1))
    for start in range(0, k, step):
        part = slice(start, start + step)
        xi = tuple(t[part] for t in pos[:-1])
        wi = (*xi[:-1], pos[-1][part])
        yield part, x[xi] - weight[wi]


def eps_at(eps: float | Tensor, pos: tuple[Tensor, ...]) -> float | Tensor:
    """ε for the pairs at ``pos``: a number as it is, a layer's (1,) as a scalar, a stack's (S, 1) picked by seed.

    A stack of one picks by seed too: its gradient is then summed as in any larger stack (index
    backward), so a seed's numbers do not depend on how many seeds train beside it.
    """
    if not isinstance(eps, Tensor):
        return eps
    return eps.reshape(-1)[pos[0]] if len(pos) == 3 and eps.dim() == 2 else eps.reshape(())


def direct_distance(x: Tensor, weight: Tensor, pos: tuple[Tensor, ...]) -> Tensor:
    """‖x_n − w_j‖² computed from the difference, for the pairs at ``pos``."""
    return torch.cat([diff.square().sum(-1) for _, diff in pair_differences(x, weight, pos)])
