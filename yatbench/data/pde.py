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

Each problem file (``poisson1d.py``, ``poisson2d.py``, ``burgers.py``) supplies its residual, its
boundary data and its solution; :func:`pde_splits` packs them into :class:`~yatbench.data.base.Splits`
with a :class:`PdeObjective` that the trainer calls instead of its supervised loss.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn

from yatbench.data.base import Splits
from yatbench.errors import UserError

# (x, u) → residual, where x requires grad and u = model(x); both (n, ·), result (n, 1).
Residual = Callable[[Tensor, Tensor], Tensor]


def grad(u: Tensor, x: Tensor) -> Tensor:
    """∂u/∂x for every row: (n, d), kept differentiable (``create_graph``) for the next derivative."""
    (g,) = torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True)
    return g


def laplacian(u: Tensor, x: Tensor) -> Tensor:
    """Σ_k ∂²u/∂x_k² for every row, (n, 1): one backward for ∇u, then one per coordinate."""
    du = grad(u, x)
    return sum(grad(du[:, k:k + 1], x)[:, k:k + 1] for k in range(x.shape[1]))


@dataclass
class PdeObjective:
    """The physics-informed loss of one problem over its fixed collocation and boundary points.

    ``losses(model)`` gives the weighted total (what is minimised) and its two parts;
    ``residual_mse(model, x)`` scores the residual anywhere, e.g. on the test grid.
    """

    interior: Tensor
    boundary: Tensor
    boundary_u: Tensor
    residual: Residual
    residual_weight: float = 1.0
    boundary_weight: float = 1.0
    lbfgs_steps: int = 0  # the optimizer phase this problem adds after Adam (see yatbench/trainer.py)

    def to(self, device: torch.device) -> PdeObjective:
        """A copy whose point sets live on ``device``."""
        return replace(self, interior=self.interior.to(device), boundary=self.boundary.to(device),
                       boundary_u=self.boundary_u.to(device))

    def point_residual(self, model: nn.Module, x: Tensor) -> Tensor:
        """The residual r(x) of ``model`` at the rows of ``x``, (n, 1), differentiable in θ."""
        x = x.detach().requires_grad_(True)
        return self.residual(x, model(x))

    def losses(self, model: nn.Module) -> dict[str, Tensor]:
        """``loss`` (weighted total), ``residual`` and ``boundary`` (unweighted mean squares)."""
        residual = self.point_residual(model, self.interior).pow(2).mean()
        boundary = (model(self.boundary) - self.boundary_u).pow(2).mean()
        loss = self.residual_weight * residual + self.boundary_weight * boundary
        return {"loss": loss, "residual": residual, "boundary": boundary}

    def residual_mse(self, model: nn.Module, x: Tensor, chunk: int = 8192) -> float:
        """Mean squared residual over the rows of ``x`` (in chunks, no graph kept)."""
        total = 0.0
        for part in x.split(chunk):
            with torch.enable_grad():
                total += self.point_residual(model, part).detach().pow(2).sum().item()
        return total / x.shape[0]


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


def pde_splits(cfg: CollocationConfig, interior: Tensor, boundary: Tensor, boundary_u: Tensor,
               residual: Residual, x_test: Tensor, u_test: Tensor, source: str,
               test_grid: tuple[int, ...]) -> Splits:
    """A PDE problem as :class:`Splits`: train = collocation points (no labels), test = the grid
    of shape ``test_grid`` (rows of ``x_test`` in row-major order)."""
    objective = PdeObjective(interior.float(), boundary.float(), boundary_u.float(), residual,
                             cfg.residual_weight, cfg.boundary_weight, cfg.lbfgs_steps)
    empty = torch.zeros(interior.shape[0], 1)
    return Splits(interior.float(), empty, x_test.float().contiguous(), u_test.float().contiguous(),
                  task="pde", in_features=interior.shape[1], out_features=1, source=source,
                  objective=objective, test_grid=test_grid)
