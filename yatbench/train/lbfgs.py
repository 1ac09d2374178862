"""L-BFGS for a stack of independent seeds: one two-loop recursion and one line search per seed, vectorised.

``torch.optim.LBFGS`` treats every parameter as one vector and its line search reads one loss: on a stack
of S seeds (``yatbench/train/trainer.py``: each leaf is (S, ...), the loss is (S,)) it would mix the seeds — one
step size for all, curvature pairs across seeds. :class:`StackedLBFGS` keeps each seed its own:

- **Per-seed vectors.** Each seed's parameters are a row of an (S, P) matrix (the leaves flattened per
  seed; a module that is not stacked is S = 1). Every inner product of the two-loop recursion is a
  row-wise one, so a seed's direction depends on its own gradients and curvature pairs only.
- **Per-seed backtracking (Armijo) line search.** Trial points x_s + t_s·d_s are evaluated for every seed at
  once (one closure call, each seed's loss from its own slice); a seed whose loss meets the sufficient-
  decrease condition f_s(x + t d) ≤ f_s(x) + c₁ t ∇f_s·d keeps its step and sits still while the others
  halve theirs (re-evaluated at the same point: the same numbers). A seed with no acceptable step in
  ``max_backtracks`` halvings stays where it was and forgets its curvature pairs (steepest descent next);
  after :data:`STALLED` failures in a row it stops moving — its loss is at its float rounding floor, where
  no step decreases it reliably — and costs the group no further backtracking.
  Backtracking from t = lr (1: the quasi-Newton step) is the textbook globalisation of a quasi-Newton
  method (Nocedal & Wright, Alg. 3.1); a strong-Wolfe search would need a per-seed bracketing/zoom
  state machine for little gain here, since a pair is only stored when its curvature yᵀs > 0 (the
  condition Wolfe's second inequality guarantees), which keeps each seed's inverse Hessian positive definite.
- **One iteration per call, no wasted evaluation.** ``step(closure)`` does one L-BFGS iteration (the
  trainer's one step per epoch). The last trial evaluates every seed at its new point, so its loss and
  gradient start the next iteration: an iteration costs 1 + (backtracks) evaluations, where
  ``torch.optim.LBFGS(max_iter=1)`` pays one more for re-evaluating the start. The cache is used only when
  the parameters are still those it was computed at (anything that edits them in between — restoring a
  stopped seed, say — makes the next call evaluate afresh).
- **History by iteration.** Every iteration appends one curvature slot for all seeds; a seed whose pair
  is rejected (yᵀs ≤ ``curvature_eps``) or whose search failed gets a zero weight there (ρ = 0: a no-op in
  both loops). So seed s's memory is the same alone and in any group: the group only decides how many
  evaluations are made, never what a seed computes.

``step`` returns each seed's loss at the weights the step started from, (S,), detached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import Tensor

STALLED = 2  # consecutive failed line searches after which a seed stops moving (module doc)


class StackedLBFGS(torch.optim.Optimizer):
    """L-BFGS with independent per-seed curvature memory and step sizes over stacked (S, ...) leaves (module doc).

    ``lr``: the first trial step (1 = the quasi-Newton step; a seed's first iteration, with no curvature
    yet, starts from min(1, 1/‖g‖₁)·lr as torch's L-BFGS does); ``history_size``: curvature pairs kept;
    ``c1``: the sufficient-decrease constant; ``max_backtracks``: halvings before a seed gives up this step.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 1.0, history_size: int = 20, c1: float = 1e-4,
                 max_backtracks: int = 30, curvature_eps: float = 1e-10) -> None:
        if not lr > 0 or history_size < 1 or not 0 < c1 < 1 or max_backtracks < 0:
            raise ValueError("StackedLBFGS needs lr > 0, history_size >= 1, 0 < c1 < 1, max_backtracks >= 0")
        super().__init__(params, {"lr": lr, "history_size": history_size, "c1": c1,
                                  "max_backtracks": max_backtracks, "curvature_eps": curvature_eps})
        if len(self.param_groups) != 1:
            raise ValueError("StackedLBFGS takes one parameter group")
        self._params: list[Tensor] = self.param_groups[0]["params"]
        self.evaluations = 0  # closure calls so far (what an iteration costs)

    def _flat(self, tensors: list[Tensor | None], seeds: int) -> Tensor:
        """(S, P): each seed's row of ``tensors`` (one per parameter; None = zeros), flattened in leaf order."""
        return torch.cat([(t if t is not None else torch.zeros_like(p)).detach().reshape(seeds, -1)
                          for t, p in zip(tensors, self._params, strict=True)], 1)

    def _set(self, flat: Tensor) -> None:
        """Write each seed's row of ``flat`` (S, P) into the leaves."""
        offset, seeds = 0, flat.shape[0]
        with torch.no_grad():
            for p in self._params:
                n = p.numel() // seeds
                p.copy_(flat[:, offset:offset + n].reshape(p.shape))
                offset += n

    def _evaluate(self, closure: Callable[[], Tensor]) -> tuple[Tensor, Tensor]:
        """Each seed's loss (S,) and gradient (S, P) at the current parameters."""
        with torch.enable_grad():
            loss = closure().detach().reshape(-1)
        self.evaluations += 1
        return loss, self._flat([p.grad for p in self._params], loss.numel())

    @torch.no_grad()
    def step(self, closure: Callable[[], Tensor]) -> Tensor:  # type: ignore[override]
        """One L-BFGS iteration for every seed; returns the losses at the starting weights, (S,)."""
        group, state = self.param_groups[0], self.state[self._params[0]]
        cached = state.get("cache")
        x0 = self._flat(list(self._params), cached[0].shape[0] if cached else 1) if cached else None
        # The same point as the last evaluation (NaN included: a seed that diverged before this phase keeps NaN
        # weights, and torch.equal is False on NaN, which would cost the whole stack one evaluation a step).
        if cached is not None and x0 is not None and torch.allclose(x0, cached[0], rtol=0, atol=0, equal_nan=True):
            f0, g0 = cached[1], cached[2]
        else:
            f0, g0 = self._evaluate(closure)
            x0 = self._flat(list(self._params), f0.numel())
        seeds = f0.numel()
        pairs: list[tuple[Tensor, Tensor, Tensor]] = state.setdefault("pairs", [])  # (s, y, ρ) per iteration
        h_diag: Tensor = state.get("h_diag", torch.ones(seeds, dtype=g0.dtype, device=g0.device))
        d = _two_loop(g0, pairs, h_diag)
        gtd = (g0 * d).sum(1)
        curved = torch.stack([rho > 0 for _, _, rho in pairs]).any(0) if pairs else torch.zeros_like(gtd, dtype=bool)
        # A seed whose direction is not downhill (round-off in a stale memory) restarts from steepest descent.
        restart = (gtd >= 0) & curved
        if restart.any():
            h_diag = _forget(pairs, h_diag, restart)
            d = torch.where(restart[:, None], -g0, d)
            gtd = torch.where(restart, -(g0 * g0).sum(1), gtd)
            curved = curved & ~restart
        # No curvature yet: the gradient's scale is unknown, so the first trial is min(1, 1/‖g‖₁)·lr (torch's).
        first = torch.clamp(1.0 / g0.abs().sum(1).clamp_min(1e-30), max=1.0) * group["lr"]
        t = torch.where(curved, torch.full_like(first, group["lr"]), first)
        failures: Tensor = state.get("failures", torch.zeros(seeds, dtype=torch.int64, device=g0.device))
        # A zero gradient (or NaN) has nowhere to go, and a seed whose search failed twice in a row (with its
        # memory, then along −g) is at the float rounding floor of its loss: each is "done" with t = 0.
        moving = (gtd < 0) & (failures < STALLED)
        t = torch.where(moving, t, torch.zeros_like(t))
        d = torch.where(moving.unsqueeze(1), d, torch.zeros_like(d))  # a NaN direction must not reach x0 + 0·d
        done = ~moving
        loss, grad = f0, g0
        for _ in range(group["max_backtracks"] + 1):
            self._set(x0 + t[:, None] * d)
            loss, grad = self._evaluate(closure)
            # strictly lower too: at a tiny t the bound rounds to f0 itself, and "no change" is no progress
            accepted = ~done & torch.isfinite(loss) & (loss <= f0 + group["c1"] * t * gtd) & (loss < f0)
            done = done | accepted
            if bool(done.all()):
                break
            t = torch.where(done, t, t * 0.5)
        failed = ~done  # no sufficient decrease: stay put, forget the curvature
        state["failures"] = torch.where(failed, failures + 1, torch.where(moving, 0, failures))
        if failed.any():
            t = torch.where(failed, torch.zeros_like(t), t)
            self._set(x0 + t[:, None] * d)
            loss = torch.where(failed, f0, loss)
            grad = torch.where(failed[:, None], g0, grad)
            h_diag = _forget(pairs, h_diag, failed)
        x1 = x0 + t[:, None] * d
        s, y = x1 - x0, grad - g0
        ys = (y * s).sum(1)
        keep = (ys > group["curvature_eps"]) & done & moving & torch.isfinite(ys)
        rho = torch.where(keep, 1.0 / torch.where(keep, ys, torch.ones_like(ys)), torch.zeros_like(ys))
        pairs.append((s, y, rho))
        if len(pairs) > group["history_size"]:
            pairs.pop(0)
        yy = (y * y).sum(1)
        state["h_diag"] = torch.where(keep, ys / torch.where(keep, yy, torch.ones_like(yy)), h_diag)
        state["cache"] = (x1, loss, grad)
        return f0


def _two_loop(g: Tensor, pairs: list[tuple[Tensor, Tensor, Tensor]], h_diag: Tensor) -> Tensor:
    """−H·g per seed by the two-loop recursion over ``pairs`` (ρ = 0: a skipped slot), (S, P)."""
    q = -g
    alphas = []
    for s, y, rho in reversed(pairs):  # row-wise dot products: each seed's own (one fused op per line: small P)
        alpha = (rho * torch.linalg.vecdot(s, q)).unsqueeze(1)
        q = torch.addcmul(q, alpha, y, value=-1)
        alphas.append(alpha)
    r = q * h_diag.unsqueeze(1)
    for (s, y, rho), alpha in zip(pairs, reversed(alphas), strict=True):
        r = torch.addcmul(r, alpha - (rho * torch.linalg.vecdot(y, r)).unsqueeze(1), s)
    return r


def _forget(pairs: list[tuple[Tensor, Tensor, Tensor]], h_diag: Tensor, seeds: Tensor) -> Tensor:
    """Zero the weight of every stored pair of the ``seeds`` (bool, (S,)) and return ``h_diag`` with theirs
    back at 1: their memory restarts from steepest descent."""
    for index, (s, y, rho) in enumerate(pairs):
        pairs[index] = (s, y, torch.where(seeds, torch.zeros_like(rho), rho))
    return torch.where(seeds, torch.ones_like(h_diag), h_diag)
