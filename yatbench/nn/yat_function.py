"""The Yat layer's fast path: two thin autograd Functions over one forward, one backward and the repair.

The math, the conventions and the accuracy argument are in ``yatbench/nn/yat.py``'s docstring;
this module is the arithmetic. Shapes: a plain layer is x (N, d), weight (m, d), bias (m,),
alpha (1,); a stack of S layers (seed batching) adds a leading dimension to all of them:
x (S, N, d), weight (S, m, d), bias (S, m), alpha (S, 1) or (1,).

``YatFunction`` is what runs in eager PyTorch; ``YatFunctionTransformable`` is the same arithmetic
in the form ``torch.func`` can transform, used only while a transform (vmap, grad, jacrev, …) is
active (its form costs more Python per call: signature binding, extra outputs, a flag tensor).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from yatbench.nn.cancellation import cancelled, direct_distance, eps_at, is_wrapped, pair_differences, plain
from yatbench.nn.stacked import addmatmul, matmul

# ε is a Python number (fixed) or a tensor, (1,) or per seed (S, 1), when it is learned.
Eps = float | Tensor
# The repaired entries of a denominator: their index tuple, and their D + ε computed from the difference.
Repair = tuple[tuple[Tensor, ...], Tensor]
# Backward reuses forward's repaired entries (rather than searching and recomputing them again) when there are at
# most this many, or at most a quarter of the entries: a bounded keep (indices and values, ≤ 28 bytes an entry).
KEEP_REPAIRED = 2**16


def _prepare(x: Tensor, weight: Tensor, bias: Tensor | None, eps: Eps, inside: bool) -> tuple[Tensor, ...]:
    """z = x Wᵀ (+ b), ‖x‖², ‖w‖² and wb = ‖w‖² (+ 2b) + ε (ε a number, a (1,) tensor or a per-seed (S, 1))."""
    wt = weight.mT
    if not inside:
        z = matmul(x, wt)
    elif x.dim() == 2:  # the single GEMM, fused with the bias like Linear's addmm
        z = torch.addmm(bias, x, wt)
    else:
        z = addmatmul(bias.unsqueeze(-2), x, wt)  # a lone seed rounds as in a stack (nn/stacked.py)
    nx, nw = torch.linalg.vector_norm(x, dim=-1), torch.linalg.vector_norm(weight, dim=-1)  # no N×d temporary
    xx, ww = nx * nx, nw * nw
    # D + ε = ‖x‖² + ‖w‖² − 2s + ε = ‖x‖² + wb − 2z with wb = ‖w‖² + 2b + ε: z alone suffices.
    wb = torch.add(ww + eps, bias, alpha=2.0) if inside else ww + eps
    return z, xx, ww, wb


def _denominator(
    z: Tensor, xx: Tensor, wb: Tensor, x: Tensor, weight: Tensor, eps: Eps, inplace: bool, scale: Tensor | None,
    known: Repair | None = None,
) -> tuple[Tensor, Repair | None]:
    """D + ε (…, N, m) by expansion, its cancelled entries recomputed directly; and those entries'
    (positions, D + ε).

    ``scale`` (…, m) is ‖w‖² (+ 2|b|), the cancellation scale; None skips the search (backward,
    when forward found nothing on the same numbers). ``known``: the entries forward found and their
    values, put in place without searching or recomputing (the same numbers either way).
    """
    den = torch.add(wb.unsqueeze(-2), z, alpha=-2.0)
    den = den.add_(xx.unsqueeze(-1)) if inplace else den + xx.unsqueeze(-1)
    if known is not None:
        pos, exact = known
    elif scale is None:
        pos = None
    elif torch.is_grad_enabled():  # building a graph (double backward): search on plain values
        pos = cancelled(den.detach(), xx.detach(), scale.detach())
    else:
        pos = cancelled(den, xx, scale)
    if pos is None:
        return den, None
    if known is None:
        exact = direct_distance(x, weight, pos) + eps_at(eps, pos)
    den = den.index_put_(pos, exact) if inplace else den.index_put(pos, exact)
    return den, (pos, exact)


def _scale(ww: Tensor, bias: Tensor | None) -> Tensor:
    """The cancellation scale ‖w‖² + 2|b| (bias inside) or ‖w‖²."""
    return ww if bias is None else torch.add(ww, bias.abs(), alpha=2.0)


def _alpha_view(alpha: Tensor, z: Tensor) -> Tensor:
    """α shaped to broadcast over z: (S, 1) → (S, 1, 1) for a stack; (1,) as it is."""
    return alpha.unsqueeze(-1) if alpha.dim() == z.dim() - 1 else alpha


def _minus_scaled(acc: Tensor, t: Tensor, scale: Tensor, inplace: bool) -> Tensor:
    """acc − t ⊙ scale (in place when allowed; vmap has no addcmul_ rule)."""
    return acc.addcmul_(t, scale, value=-1.0) if inplace else acc - t * scale


def yat_forward(
    x: Tensor, weight: Tensor, bias: Tensor | None, alpha: Tensor | None, eps: Eps, outside: bool, inplace: bool
) -> tuple[Tensor, Tensor, Tensor, Tensor, Repair | None]:
    """y = α z² / (D + ε) (+ b outside), and what backward keeps: z, ‖x‖², wb, and the repaired entries
    (:data:`Repair`, None when none were: backward screens again only when some were)."""
    inside = bias is not None and not outside
    z, xx, ww, wb = _prepare(x, weight, bias, eps, inside)
    den, repair = _denominator(z, xx, wb, x, weight, eps, inplace, _scale(ww, bias if inside else None))
    y = torch.div(z, den, out=den).mul_(z) if inplace else z / den * z  # z² / (D + ε)
    if alpha is not None:
        a = _alpha_view(alpha, z)
        y = y.mul_(a) if inplace else y * a
    if outside and bias is not None:
        b = bias.unsqueeze(-2)
        y = y.add_(b) if inplace else y + b
    return y, z, xx, wb, repair


def yat_backward(
    g: Tensor,
    saved: tuple[Tensor | None, ...],
    needs: tuple[bool, ...],
    eps: Eps,
    outside: bool,
    screen: bool,
    inplace: bool,
    known: Repair | None = None,
) -> tuple[Tensor | None, ...]:
    """Gradients wrt x, weight, bias, alpha and ε (None where not needed) from ``saved`` =
    (x, weight, bias, alpha, z, ‖x‖², wb). ``screen``: search for cancelled entries again, unless
    ``known`` brings those forward found (used only without a graph to build).
    With grad enabled (``create_graph=True``) the intermediates are rebuilt from the inputs and
    everything is out of place, so the result is itself differentiable."""
    # Notation (per element n, j; G = ∂L/∂y):
    #   s = x·w,  z = s + b (inside) or s,  D = ‖x − w‖²,
    #   u = z / (D + ε),  r = z u = z²/(D + ε),  y = α r (+ b outside).
    # Chain rule through r:  ∂r/∂z = 2u,  ∂r/∂D = −u².  With K = α G u:
    #   ∂L/∂z = 2K,   ∂L/∂D = −K u =: −V.
    # ∂D/∂x = 2(x − w), ∂D/∂w = −2(x − w), ∂z/∂x = w, ∂z/∂w = x, hence
    #   ∂L/∂x_n = Σ_j 2K w_j − 2V (x_n − w_j),   ∂L/∂w_j = Σ_n 2K x_n + 2V (x_n − w_j).
    # Written as GEMMs (H = 2K + 2V):
    #   ∂L/∂x = H W − 2 x ⊙ Σ_j V      (GEMM 1)
    #   ∂L/∂W = Hᵀ X − 2 W ⊙ Σ_n V     (GEMM 2)
    # which is the expansion again: where the distance has cancelled (x_n ≈ w_j, V huge) the
    # two V terms cancel too. Those entries take V out of the GEMMs and add ∓2V (x_n − w_j)
    # from the difference itself.
    #   ∂L/∂b = 2 Σ_n K (inside) or Σ_n G (outside);   ∂L/∂α = Σ G r = Σ (G u) z.
    #   ∂L/∂ε = ∂L/∂D (D and ε enter only as D + ε) = −Σ V  (a learned ε; every entry, repaired ones too).
    # Below k = 2K and v = 2V, so that h = k + v = H and the factor 2 costs nothing.
    x, weight, bias, alpha, z, xx, wb = saved
    need_x, need_w, need_b, need_a = needs[:4]
    need_e = len(needs) > 4 and needs[4] and isinstance(eps, Tensor)
    inside = bias is not None and not outside
    scale = None
    if torch.is_grad_enabled():  # create_graph: rebuild the intermediates differentiably, screen again
        z, xx, ww, wb = _prepare(x, weight, bias, eps, inside)
        inplace, scale, known = False, _scale(ww, bias if inside else None), None
    elif screen and known is None:
        ww = torch.linalg.vector_norm(weight, dim=-1).square()
        scale = _scale(ww, bias if inside else None)
    den, repair = _denominator(z, xx, wb, x, weight, eps, inplace, scale, known)
    pos = None if repair is None else repair[0]
    u = torch.div(z, den, out=den) if inplace else z / den  # u = z / (D + ε)
    gu = g * u
    a = None if alpha is None else _alpha_view(alpha, z)
    grad_a = None
    if a is not None and need_a:
        if z.dim() == 2:
            grad_a = torch.dot(gu.view(-1), z.view(-1)).view(alpha.shape)
        else:
            grad_a = (gu * z).sum_to_size(a.shape).reshape(alpha.shape)
    if a is None:
        k = gu.add_(gu) if inplace else gu + gu
    else:
        k = gu.mul_(a + a) if inplace else gu * (a + a)
    grad_b = None
    if bias is not None and need_b:
        grad_b = g.sum(-2) if outside else k.sum(-2)
    grad_x = grad_w = grad_e = None
    if need_x or need_w or need_e:
        v = u.mul_(k) if inplace else u * k
        if need_e:  # −Σ V = −½ Σ v, per seed for a stack
            grad_e = v.sum_to_size(_alpha_view(eps, z).shape).reshape(eps.shape).mul(-0.5)
        v_pos = None
        if pos is not None:  # repaired entries: V leaves the GEMMs, added back below
            v_pos = v[pos]
            v = v.index_put_(pos, v.new_zeros(())) if inplace else v.index_put(pos, v.new_zeros(()))
        v_rows = v.sum(-1, keepdim=True) if need_x else None
        v_cols = v.sum(-2).unsqueeze(-1) if need_w else None
        h = v.add_(k) if inplace else v + k
        if need_x:
            grad_x = _minus_scaled(torch.mm(h, weight) if h.dim() == 2 else matmul(h, weight), x, v_rows, inplace)
        if need_w:
            grad_w = _minus_scaled(torch.mm(h.mT, x) if h.dim() == 2 else matmul(h.mT, x), weight, v_cols, inplace)
        if pos is not None:
            for part, diff in pair_differences(x, weight, pos):
                term = v_pos[part].unsqueeze(-1) * diff  # 2V (x_n − w_j)
                xi = tuple(t[part] for t in pos[:-1])
                wi = (*xi[:-1], pos[-1][part])
                if need_x:
                    grad_x = _accumulate(grad_x, xi, -term, inplace)
                if need_w:
                    grad_w = _accumulate(grad_w, wi, term, inplace)
    return grad_x, grad_w, grad_b, grad_a, grad_e


def _accumulate(acc: Tensor, index: tuple[Tensor, ...], values: Tensor, inplace: bool) -> Tensor:
    """acc[index] += values, repeated indices summed (out of place when building a graph)."""
    return acc.index_put_(index, values, accumulate=True) if inplace else acc.index_put(index, values, accumulate=True)


def save_for_yat_backward(ctx: Any, tensors: tuple[Tensor | None, ...], epsilon: Eps, outside: bool,
                          repaired: bool | Repair | None) -> None:
    """What a forward keeps for :func:`yat_backward`: x, weight, bias, alpha, z, ‖x‖², wb (``tensors``), a learned
    ε as a tensor (so it gets a gradient) or a fixed one on ctx, and the flags. Read back by
    :func:`saved_for_yat_backward`; shared by the eager and the fused Functions.

    ``repaired``: whether forward repaired entries, or which (:data:`Repair`): then ``ctx.known`` keeps them for
    backward when they are few (:data:`KEEP_REPAIRED`; plain tensors made without a graph, not saved tensors).
    """
    learned = isinstance(epsilon, Tensor)
    ctx.save_for_backward(*tensors, *((epsilon,) if learned else ()))
    ctx.epsilon = None if learned else epsilon
    known = repaired if isinstance(repaired, tuple) else None
    z = tensors[4]
    if known is not None and known[1].numel() > max(KEEP_REPAIRED, z.numel() // 4):
        known = None  # many: backward finds them again (same arithmetic, same entries) rather than hold them
    ctx.outside, ctx.repaired, ctx.learned, ctx.known = outside, bool(repaired), learned, known


def saved_for_yat_backward(ctx: Any) -> tuple[tuple[Tensor | None, ...], Eps]:
    """The seven tensors and ε that :func:`save_for_yat_backward` kept."""
    saved = ctx.saved_tensors
    return saved[:7], saved[7] if ctx.learned else ctx.epsilon


class YatFunction(torch.autograd.Function):
    """ⵟ over a 2-D batch (or a stack of them) with a hand-derived backward (eager PyTorch).

    Inputs: x, weight, bias or None, alpha or None, epsilon (a float, or a tensor (1,) / (S, 1) when it
    is learned: it then gets a gradient), outside (bool: bias added after the ratio). Output: y (…, N, m).

    Memory: backward keeps x and weight (as Linear does), z (…, N, m) and two vectors; the
    cancelled entries forward repaired are kept with their values when few (:data:`KEEP_REPAIRED`:
    XOR's units sit on a data point, one entry in four, every step), else found again in backward
    (same arithmetic, same entries) — only when forward found any. Time: one GEMM forward, two backward
    (one when the input needs no gradient), a handful of N×m elementwise passes in place and
    one row-minimum for the cancellation screen.

    Double backward: when backward runs with grad enabled (``create_graph=True``) it recomputes
    z and the vectors from the saved inputs and uses out-of-place ops only, so its own result is
    differentiable — no flag needed.
    """

    @staticmethod
    def forward(
        ctx: Any, x: Tensor, weight: Tensor, bias: Tensor | None, alpha: Tensor | None, epsilon: Eps, outside: bool
    ) -> Tensor:
        y, z, xx, wb, repaired = yat_forward(x, weight, bias, alpha, epsilon, outside, inplace=True)
        save_for_yat_backward(ctx, (x, weight, bias, alpha, z, xx, wb), epsilon, outside, repaired)
        return y

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> tuple[Tensor | None, ...]:
        saved, eps = saved_for_yat_backward(ctx)
        grads = yat_backward(g, saved, ctx.needs_input_grad[:5], eps, ctx.outside, screen=ctx.repaired, inplace=True,
                             known=ctx.known)
        return (*grads, None)


class YatFunctionTransformable(torch.autograd.Function):
    """``YatFunction`` in the form torch.func transforms (vmap, grad, jacrev, …) accept.

    Same arithmetic; the intermediates z, ‖x‖², wb and the "repaired" flag (a 0-dim bool) are
    returned as non-differentiable outputs rather than stashed on ctx, as torch.func requires,
    and in-place arithmetic is used only on tensors no transform wraps. Used only while a
    transform is active: it costs more Python per call than ``YatFunction``.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(
        x: Tensor, weight: Tensor, bias: Tensor | None, alpha: Tensor | None, epsilon: Eps, outside: bool
    ) -> tuple[Tensor, ...]:
        y, z, xx, wb, repaired = yat_forward(x, weight, bias, alpha, epsilon, outside, plain(x, weight, bias, alpha))
        return y, z, xx, wb, torch.tensor(repaired is not None)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: tuple[Tensor, ...]) -> None:
        x, weight, bias, alpha, epsilon, outside = inputs
        _, z, xx, wb, repaired = output
        ctx.mark_non_differentiable(z, xx, wb, repaired)
        ctx.set_materialize_grads(False)  # the intermediates get no gradient: skip the zeros
        learned = isinstance(epsilon, Tensor)
        ctx.save_for_backward(x, weight, bias, alpha, z, xx, wb, repaired, epsilon if learned else None)
        ctx.epsilon = None if learned else epsilon
        ctx.outside = outside

    @staticmethod
    def backward(ctx: Any, g: Tensor | None, *_unused: Any) -> tuple[Tensor | None, ...]:
        if g is None:
            return None, None, None, None, None, None
        *saved, repaired, learned_eps = ctx.saved_tensors
        eps = ctx.epsilon if learned_eps is None else learned_eps
        screen = True if is_wrapped(repaired) else bool(repaired)  # a batched flag: screen again
        inplace = plain(g, *saved[:2], saved[3], saved[4], learned_eps)
        grads = yat_backward(g, tuple(saved), ctx.needs_input_grad[:5], eps, ctx.outside, screen, inplace)
        return (*grads, None)
