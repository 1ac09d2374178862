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
with a :class:`PdeObjective` that the trainer calls instead of its supervised loss (one seed at a
time: ``Splits.stackable`` is False) and ``lbfgs_steps``, the L-BFGS phase the trainer adds after Adam.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

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


# A network as the objective sees one seed of it: rows (n, d) → u (n, 1).
Net = Callable[[Tensor], Tensor]


@dataclass
class PdeObjective:
    """The physics-informed loss of one problem (one seed) over its collocation and boundary points.

    As the trainer's objective (``objective(forward, x, target) -> (S,)``, ``yatbench/trainer.py``) it
    takes the collocation points as ``x`` (the train set, one seed: ``Splits.stackable`` is False) and
    ignores ``target`` (there are no labels); :meth:`parts` gives the trainer the loss's named terms
    (``train_residual``, ``train_boundary`` in the history; ``test_residual`` on the grid).
    ``losses(net)`` and ``residual_mse(net, x)`` score any function u(x) directly.
    """

    interior: Tensor
    boundary: Tensor
    boundary_u: Tensor
    residual: Residual
    residual_weight: float = 1.0
    boundary_weight: float = 1.0

    def __call__(self, forward: Callable[[Tensor], Tensor], x: Tensor, target: Tensor) -> Tensor:
        """The weighted loss, (1,), of the seed ``forward`` computes, with its collocation points ``x`` (1, n, d)."""
        return self.losses(_one_seed(forward, x), x[0])["loss"].unsqueeze(0)

    def parts(self, forward: Callable[[Tensor], Tensor], x: Tensor) -> list[dict[str, float]]:
        """``loss``, ``residual`` (mean square over the rows of ``x``, in chunks) and ``boundary``, no graph kept."""
        net = _one_seed(forward, x)
        residual = self.residual_mse(net, x[0])
        with torch.no_grad():
            boundary = self._boundary_mse(net, x.device).item()
        loss = self.residual_weight * residual + self.boundary_weight * boundary
        return [{"loss": loss, "residual": residual, "boundary": boundary}]

    def point_residual(self, net: Net, x: Tensor) -> Tensor:
        """The residual r(x) of ``net`` at the rows of ``x``, (n, 1), differentiable in θ."""
        x = x.detach().requires_grad_(True)
        return self.residual(x, net(x))

    def losses(self, net: Net, interior: Tensor | None = None) -> dict[str, Tensor]:
        """``loss`` (weighted total), ``residual`` and ``boundary`` (unweighted mean squares), at ``interior``
        (default: the problem's collocation points)."""
        interior = self.interior if interior is None else interior
        residual = self.point_residual(net, interior).pow(2).mean()
        boundary = self._boundary_mse(net, interior.device)
        loss = self.residual_weight * residual + self.boundary_weight * boundary
        return {"loss": loss, "residual": residual, "boundary": boundary}

    def residual_mse(self, net: Net, x: Tensor, chunk: int = 8192) -> float:
        """Mean squared residual over the rows of ``x`` (in chunks, no graph kept)."""
        total = 0.0
        for part in x.split(chunk):
            with torch.enable_grad():
                total += self.point_residual(net, part).detach().pow(2).sum().item()
        return total / x.shape[0]

    def _boundary_mse(self, net: Net, device: torch.device) -> Tensor:
        """Mean squared boundary misfit; the points follow the training device (a no-op copy on the CPU)."""
        return (net(self.boundary.to(device)) - self.boundary_u.to(device)).pow(2).mean()


def _one_seed(forward: Callable[[Tensor], Tensor], x: Tensor) -> Net:
    """The network of the one seed that ``forward`` (x (1, n, d) → (1, n, out)) computes."""
    if x.shape[0] != 1:
        raise ValueError("a PDE objective trains one seed at a time (its Splits are not stackable)")
    return lambda rows: forward(rows.unsqueeze(0))[0]


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
                             cfg.residual_weight, cfg.boundary_weight)
    empty = torch.zeros(interior.shape[0], 1)
    return Splits(interior.float(), empty, x_test.float().contiguous(), u_test.float().contiguous(),
                  task="pde", in_features=interior.shape[1], out_features=1, source=source,
                  objective=objective, test_grid=test_grid, stackable=False, lbfgs_steps=cfg.lbfgs_steps)
