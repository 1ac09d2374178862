"""The Yat layer's elementwise work after the GEMMs as two numba kernels: one forward, one backward.

Imported only when the fused path first runs (``yatbench/nn/kernel_impl.py``): importing numba costs
about 0.6 s and each kernel is compiled (LLVM) on first use per dtype, then cached on disk.

Layout: every array has a leading seed dimension S (a plain layer is S = 1): x (S, N, d), w (S, m, d),
z (S, N, m), xx (S, N), wb and scale (S, m); α and ε are (S,) or (1,) (one value for every seed).
κ arrives in ``consts``, in the compute dtype, so that float32 stays float32
(numba, like numpy, widens float32 · Python float to float64).

Reductions over the batch (∂L/∂b, Σ_n V per unit, ∂L/∂α, ∂L/∂ε) are summed in blocks of ``BLOCK`` rows,
a fixed partition: a seed's numbers depend neither on the number of threads nor on the seeds beside it.
"""

from __future__ import annotations

import numba
import numpy as np

# Rows per reduction block: fixed (not per thread), so the summation order is too.
BLOCK = 32
# The backward kernel's sums (per row, per block) may be reassociated so that its loop vectorises; nothing else
# is relaxed (no reciprocal for a division, no contraction into fused multiply-adds).
_SUMS = {"reassoc", "nsz"}
# Serial: each kernel costs tens of microseconds next to milliseconds of GEMMs, and a second thread pool
# (numba's) beside PyTorch's would spin on the same cores.
_OPTS = {"cache": True, "nogil": True, "error_model": "numpy"}


@numba.njit(**_OPTS)
def _repair_row(den, xs, w, s, n, xn, scale, kap, e):  # pragma: no cover - compiled
    """Recompute directly the entries of one row whose expanded D + ε has cancelled; marked negative."""
    m, d = den.shape[0], xs.shape[0]
    for j in range(m):
        if den[j] < kap * (xn + scale[s, j]):
            acc = kap - kap  # zero, in the compute dtype
            for k in range(d):
                t = xs[k] - w[s, j, k]
                acc += t * t
            den[j] = -(acc + e)


@numba.njit(**_OPTS)
def _distances_row(out, zrow, wb, xn, scale, s, kap):  # pragma: no cover - compiled
    """One row of D + ε = (wb − 2z) + ‖x‖² into ``out``, as the eager path rounds it; how many entries fall below
    κ(‖x‖² + scale), where the expansion has cancelled (``_repair_row`` recomputes them)."""
    cnt = 0
    for j in range(zrow.shape[0]):
        zz = zrow[j]
        den = (wb[s, j] - (zz + zz)) + xn
        out[j] = den
        cnt += den < kap * (xn + scale[s, j])
    return cnt


@numba.njit(**_OPTS)
def forward(z, xx, wb, scale, alpha, eps, bias_out, x, w, consts, screen, y, repaired):  # pragma: no cover
    """y = α z² / (D + ε) (+ b outside), D + ε = (wb − 2z) + ‖x‖² as the eager path rounds it, cancelled
    entries (below κ(‖x‖² + scale)) recomputed from the difference; ``repaired[s]`` counts them."""
    S, N, m = z.shape
    kap = consts[0]
    outside = bias_out.shape[1] > 0
    for r in range(S * N):
        s = r // N
        n = r - s * N
        a = alpha[s if alpha.shape[0] > 1 else 0]
        e = eps[s if eps.shape[0] > 1 else 0]
        xn = xx[s, n]
        cnt = _distances_row(y[s, n], z[s, n], wb, xn, scale, s, kap)
        if screen and cnt:
            _repair_row(y[s, n], x[s, n], w, s, n, xn, scale, kap, e)
            repaired[r] = cnt
        for j in range(m):
            zz = z[s, n, j]
            v = zz / abs(y[s, n, j]) * zz * a
            if outside:
                v += bias_out[s, j]
            y[s, n, j] = v


@numba.njit(**_OPTS, fastmath=_SUMS)
def backward(g, z, xx, wb, scale, alpha, eps, x, w, consts, screen, h, v_rows, part_k, part_v, part_a, part_e,
             repaired):  # pragma: no cover - compiled
    """The elementwise part of ``yat_backward`` (notation there), one pass over z and G.

    Writes h = k + v (repaired entries: k alone, their V is added from the difference afterwards),
    Σ_j v per row, and per block of rows Σ k and Σ v per unit, Σ G u z and Σ v (every entry).
    """
    S, N, m = z.shape
    kap = consts[0]
    nb = part_k.shape[1]
    for t in range(S * nb):
        s = t // nb
        b = t - s * nb
        a = alpha[s if alpha.shape[0] > 1 else 0]
        a2 = a + a
        e = eps[s if eps.shape[0] > 1 else 0]
        acc_k = part_k[s, b]
        acc_v = part_v[s, b]
        sa = kap - kap
        se = kap - kap
        for n in range(b * BLOCK, min(N, (b + 1) * BLOCK)):
            xn = xx[s, n]
            cnt = _distances_row(h[s, n], z[s, n], wb, xn, scale, s, kap)
            if screen and cnt:
                _repair_row(h[s, n], x[s, n], w, s, n, xn, scale, kap, e)
                repaired[s * N + n] = cnt
            rs = kap - kap
            for j in range(m):
                den = h[s, n, j]
                zz = z[s, n, j]
                u = zz / abs(den)
                gu = g[s, n, j] * u
                sa += gu * zz
                k = gu * a2
                v = u * k
                se += v
                acc_k[j] += k
                if den < 0:  # repaired: V leaves the GEMMs
                    v = kap - kap
                acc_v[j] += v
                rs += v
                h[s, n, j] = v + k
            v_rows[s, n] = rs
        part_a[s, b] = sa
        part_e[s, b] = se


@numba.njit(**_OPTS)
def repair_terms(g, z, xx, wb, scale, alpha, eps, x, w, consts, grad_x, grad_w):  # pragma: no cover - compiled
    """Add −v (x_n − w_j) to grad_x[n] and +v (x_n − w_j) to grad_w[j] at the repaired entries (serial:
    several rows add to one unit). Either gradient may be empty (0 rows): not needed."""
    S, N, m = z.shape
    d = x.shape[2]
    kap = consts[0]
    for s in range(S):
        a = alpha[s if alpha.shape[0] > 1 else 0]
        e = eps[s if eps.shape[0] > 1 else 0]
        for n in range(N):
            xn = xx[s, n]
            for j in range(m):
                zz = z[s, n, j]
                den = (wb[s, j] - (zz + zz)) + xn
                if den < kap * (xn + scale[s, j]):
                    acc = kap - kap
                    for k in range(d):
                        t = x[s, n, k] - w[s, j, k]
                        acc += t * t
                    u = zz / (acc + e)
                    v = u * (g[s, n, j] * u * (a + a))
                    if grad_x.shape[1] > 0:
                        for k in range(d):
                            grad_x[s, n, k] -= v * (x[s, n, k] - w[s, j, k])
                    if grad_w.shape[1] > 0:
                        for k in range(d):
                            grad_w[s, j, k] += v * (x[s, n, k] - w[s, j, k])


def blocks(n: int) -> int:
    """Reduction blocks for a batch of ``n`` rows."""
    return max(1, -(-n // BLOCK))


def as_array(t: object) -> np.ndarray:
    """A CPU tensor's data as a numpy array (no copy)."""
    return t.detach().numpy()  # type: ignore[attr-defined]
