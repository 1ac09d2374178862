"""What every physics-informed (PINN) problem shares: derivatives, collocation, the loss.

A PDE problem trains a network u_θ(x) with no labelled data: the loss is the mean squared PDE
residual at *collocation points* inside the domain plus the mean squared misfit of the boundary
(and initial) condition at points on the boundary,

    L(θ) = w_r · mean_i r(x_i)²  +  w_b · mean_j (u_θ(x_j) − g(x_j))²,

with the residual r built from u_θ and its derivatives by ``torch.autograd`` (``create_graph``
so that the loss can be differentiated again for the optimizer). Collocation and boundary points
are drawn once per run from a ``torch.Generator`` seeded with the run seed (full batch); the
test set is a fixed fine grid with the exact (or reference) solution, scored by the relative L2
error ‖u_θ − u‖₂ / ‖u‖₂ — the number PINN papers report.

Validation: a second set of collocation and boundary points of the same sizes, drawn the same way from a
generator of its own (:func:`validation_generator`, so the training points are those of before it existed),
scored by the same physics loss (``val_loss``, ``val_residual``, ``val_boundary`` in the history). The trainer
selects on it (early stopping, the best epoch); the exact solution is never used for selection.

Each problem file (``poisson1d.py``, ``poisson2d.py``, ``burgers.py``) supplies its residual, its
boundary data and its solution; :func:`pde_splits` packs them into :class:`~yatbench.data.base.Splits`
with a :class:`PdeObjective` that the trainer calls instead of its supervised loss, and
``lbfgs_steps``, the L-BFGS phase the trainer adds after Adam.

Seeds train stacked like any small run (``yatbench/train/trainer.py``): each seed has its own collocation
and boundary points (its slice of x), and the derivatives of the summed output with respect to the
stacked inputs are still per seed, since a seed's outputs depend on its own rows only — a seed's
numbers are the same alone and in any group. The L-BFGS phase trains the stack too: its curvature
memory and line search are per seed (``yatbench/train/lbfgs.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from yatbench.core.errors import UserError
from yatbench.core.lazy import lazy
from yatbench.data.base import Splits

if TYPE_CHECKING:
    from torch import Tensor

np = lazy("numpy")
torch = lazy("torch")

# (x, u) → residual, where x (…, n, d) requires grad and u = net(x) (…, n, 1); result (…, n, 1).
Residual = Callable[["Tensor", "Tensor"], "Tensor"]  # names, not the class: torch is imported at first use
# The networks of S seeds: x (S, n, d) → u (S, n, 1), each seed's rows through its own weights.
Forward = Callable[["Tensor"], "Tensor"]
# One draw of a problem's points: interior (collocation) points, boundary points and the boundary values there.
Points = tuple["Tensor", "Tensor", "Tensor"]
VAL_STREAM = 0x7A11D  # mixed with the run seed into the validation points' generator (any constant would do)


def grad(u: Tensor, x: Tensor) -> Tensor:
    """∂u/∂x for every row: shaped like x, kept differentiable (``create_graph``) for the next derivative.

    The gradient of the *sum* of u: row n's entry is ∂u_n/∂x_n because u_n depends on x_n alone
    (a network maps rows independently, and a stack of seeds maps each seed's rows by its own weights)."""
    (g,) = torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True)
    return g


def laplacian(u: Tensor, x: Tensor) -> Tensor:
    """Σ_k ∂²u/∂x_k² for every row, (…, n, 1): one backward for ∇u, then one per coordinate."""
    du = grad(u, x)
    return sum(grad(du[..., k:k + 1], x)[..., k:k + 1] for k in range(x.shape[-1]))


@dataclass
class PdeObjective:
    """The physics-informed loss of one problem over each seed's collocation and boundary points.

    A seed's training set is its ``n_interior`` collocation points followed by its boundary points,
    whose targets are the boundary values g (the interior rows' targets are unused zeros): x (S, n, d),
    target (S, n, 1), one slice per seed, drawn from that seed. As the trainer's objective
    (``objective(forward, x, target) -> (S,)``, ``yatbench/train/trainer.py``) it returns each seed's weighted
    loss; :meth:`parts` gives the loss's named terms (``train_residual``, ``train_boundary`` in the
    history) and, on points with no targets (the test grid), the residual alone (``test_residual``).
    """

    n_interior: int
    residual: Residual
    residual_weight: float = 1.0
    boundary_weight: float = 1.0

    def __call__(self, forward: Forward, x: Tensor, target: Tensor) -> Tensor:
        """Each seed's weighted loss, (S,), differentiable in the weights."""
        return self.terms(forward, x, target)["loss"]

    def terms(self, forward: Forward, x: Tensor, target: Tensor) -> dict[str, Tensor]:
        """``loss`` (weighted), ``residual`` and ``boundary`` (unweighted mean squares), each (S,)."""
        n = self.n_interior
        # One forward over all the points: the boundary misfit reads u where the residual's graph already has it
        # (its derivatives at the few boundary rows are computed and not used: cheaper than a second forward).
        x = x.detach().requires_grad_(True)
        u = forward(x)
        residual = _mean_rows(self.residual(x, u)[:, :n].square())
        boundary = _mean_rows((u[:, n:] - target[:, n:]).square())
        loss = self.residual_weight * residual + self.boundary_weight * boundary
        return {"loss": loss, "residual": residual, "boundary": boundary}

    def point_residual(self, forward: Forward, x: Tensor) -> Tensor:
        """The residual r at the rows of x (S, n, d), (S, n, 1), differentiable in the weights."""
        x = x.detach().requires_grad_(True)
        return self.residual(x, forward(x))

    def parts(self, forward: Forward, x: Tensor, target: Tensor | None = None,
              chunk: int = 8192) -> list[dict[str, float]]:
        """Each seed's terms, no graph kept: with ``target``, x is a training set (:meth:`terms`);
        without, any points (the test grid), scored by their mean squared residual, in chunks of rows."""
        with torch.enable_grad():  # input derivatives, also under the evaluation's no_grad
            if target is not None:
                values = {k: v.detach() for k, v in self.terms(forward, x, target).items()}
            else:
                total = sum(self.point_residual(forward, part).detach().square().flatten(1).sum(1)
                            for part in x.split(chunk, dim=1))
                values = {"residual": total / x.shape[1]}
        columns = {k: v.tolist() for k, v in values.items()}
        return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _mean_rows(t: Tensor) -> Tensor:
    """Each seed's mean over its rows, (S,), for t (S, n, ·): a reduction within each seed's slice."""
    return t.reshape(t.shape[0], -1).mean(1)


@dataclass
class CollocationConfig:
    """Fields every PDE dataset has: how many points, the loss weights (see module doc), and
    ``lbfgs_steps``: L-BFGS iterations after the Adam epochs (0 = Adam only), the second
    optimizer phase of PINN practice."""

    n_interior: int = 128
    n_boundary: int = 2
    residual_weight: float = 1.0
    boundary_weight: float = 1.0
    lbfgs_steps: int = 0

    def check_collocation(self, min_boundary: int = 1) -> None:
        """Validate the shared fields (one :class:`UserError` line)."""
        if self.n_interior < 1:
            raise UserError(f"dataset.n_interior={self.n_interior} must be >= 1")
        if self.n_boundary < min_boundary:
            raise UserError(f"dataset.n_boundary={self.n_boundary} must be >= {min_boundary}")
        if self.lbfgs_steps < 0:
            raise UserError(f"dataset.lbfgs_steps={self.lbfgs_steps} must be >= 0 (0 = Adam only)")
        for key in ("residual_weight", "boundary_weight"):
            if not getattr(self, key) > 0:
                raise UserError(f"dataset.{key}={getattr(self, key)} must be > 0")


def uniform(gen: torch.Generator, n: int, low: list[float], high: list[float]) -> Tensor:
    """n points drawn uniformly in the box [low, high], (n, d)."""
    lo, hi = torch.tensor(low), torch.tensor(high)
    return lo + (hi - lo) * torch.rand(n, len(low), generator=gen)


def validation_generator(seed: int) -> torch.Generator:
    """The generator of a run's validation points: a stream of its own, apart from the training points' (which
    are drawn from ``manual_seed(seed)``), the same for the same seed."""
    state = np.random.SeedSequence([seed, VAL_STREAM]).generate_state(2, dtype=np.uint64)[0]
    return torch.Generator().manual_seed(int(state) >> 1)


def _as_set(interior: Tensor, boundary: Tensor, boundary_u: Tensor) -> tuple[Tensor, Tensor]:
    """Points as one set: the collocation points then the boundary points; targets 0 there, then g."""
    return (torch.cat([interior, boundary]).float(),
            torch.cat([torch.zeros(interior.shape[0], 1), boundary_u]).float())


def pde_splits(cfg: CollocationConfig, interior: Tensor, boundary: Tensor, boundary_u: Tensor,
               residual: Residual, x_test: Tensor, u_test: Tensor, source: str,
               test_grid: tuple[int, ...], *, val: Points) -> Splits:
    """A PDE problem as :class:`Splits`: train = the collocation points then the boundary points, whose
    targets are the boundary values (:class:`PdeObjective`); validation = ``val``, another draw of as many
    points laid out the same way; test = the grid of shape ``test_grid`` (rows of ``x_test`` in row-major
    order) with the solution."""
    if val[0].shape != interior.shape or val[1].shape != boundary.shape:
        raise ValueError("the validation points must be as many as the training points (one objective scores both)")
    objective = PdeObjective(interior.shape[0], residual, cfg.residual_weight, cfg.boundary_weight)
    x_train, y_train = _as_set(interior, boundary, boundary_u)
    x_val, y_val = _as_set(*val)
    return Splits(x_train, y_train, x_test.float().contiguous(), u_test.float().contiguous(),
                  task="pde", in_features=interior.shape[1], out_features=1, source=source,
                  x_val=x_val, y_val=y_val, val_kind="collocation",
                  objective=objective, test_grid=test_grid, lbfgs_steps=cfg.lbfgs_steps)
