"""Viscous Burgers: u_t + u u_x = ν u_xx on x ∈ [−1, 1], t ∈ [0, 1], ν = 0.01/π.

    u(0, x) = −sin(πx),   u(t, −1) = u(t, 1) = 0

The PINN benchmark of Raissi, Perdikaris & Karniadakis (J. Comput. Phys. 378, 2019, §3.1): a
shock forms at x = 0 near t = 0.4 and steepens to width ~ν. Inputs are (x, t).

Reference solution: no closed form, but the Cole–Hopf transform turns Burgers into the heat
equation, whose solution is an integral (Basdevant et al., Computers & Fluids 14, 1986):

    u(t, x) = − ∫ sin(π(x−η)) F(x−η) G_t(η) dη / ∫ F(x−η) G_t(η) dη,
    F(y) = exp(−cos(πy) / (2πν)),   G_t(η) = exp(−η² / (4νt)).

With η = √(4νt)·z both integrals are ∫ … e^{−z²} dz; F spans e^{±50}, so they are computed in
float64 as log-sum-exp on a fine trapezoid grid (z ∈ [−8, 8], 2 001 nodes: the narrowest peak of
the integrand is ~0.5 wide in z). The grid is Raissi's: 256 x points × 100 t points in [0, 0.99].
It is computed once per process and cached (a second or two).

Collocation: ``n_interior`` points uniform in the domain; ``n_boundary`` points split between the
initial line (half) and the two walls (a quarter each); drawn with the run seed. Validation: as many
again, drawn the same way from the validation generator (``yatbench/data/pde.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from yatbench.core.errors import UserError
from yatbench.core.lazy import lazy
from yatbench.data.base import Splits
from yatbench.data.pde import CollocationConfig, Points, grad, pde_splits, uniform, validation_generator

if TYPE_CHECKING:
    from torch import Tensor

np = lazy("numpy")
torch = lazy("torch")

NU = 0.01 / math.pi
N_X, N_T, T_LAST = 256, 100, 0.99


@lru_cache(maxsize=4)
def reference_solution(nu: float = NU, n_x: int = N_X, n_t: int = N_T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x (n_x,), t (n_t,), u (n_t, n_x)) by the Cole–Hopf integral (module doc), float64."""
    x = np.linspace(-1.0, 1.0, n_x)
    t = np.linspace(0.0, T_LAST, n_t)
    z = np.linspace(-8.0, 8.0, 2001)
    u = np.empty((n_t, n_x))
    u[0] = -np.sin(np.pi * x)
    for i, ti in enumerate(t[1:], start=1):
        y = x[:, None] - math.sqrt(4 * nu * ti) * z[None, :]  # x − η, (n_x, n_z)
        log_w = -np.cos(np.pi * y) / (2 * np.pi * nu) - z[None, :] ** 2
        w = np.exp(log_w - log_w.max(axis=1, keepdims=True))
        u[i] = -(np.sin(np.pi * y) * w).sum(axis=1) / w.sum(axis=1)
    u[:, [0, -1]] = 0.0  # exact at the walls (odd symmetry); the quadrature leaves ~1e-16
    return x, t, u


@dataclass
class BurgersConfig(CollocationConfig):
    """``nu``: viscosity (default 0.01/π, the benchmark's); collocation counts and loss weights."""

    name: str = "burgers"
    nu: float = NU
    n_interior: int = 1000
    n_boundary: int = 100

    def __post_init__(self) -> None:
        if not self.nu > 0:
            raise UserError(f"dataset.nu={self.nu} must be > 0")
        self.check_collocation(min_boundary=4)

    def residual(self, xt: Tensor, u: Tensor) -> Tensor:
        """u_t + u u_x − ν u_xx."""
        du = grad(u, xt)
        u_x, u_t = du[..., :1], du[..., 1:2]
        u_xx = grad(u_x, xt)[..., :1]
        return u_t + u * u_x - self.nu * u_xx

    def points(self, gen: torch.Generator) -> Points:
        """Collocation points, initial and wall points (drawn from ``gen``) and u there."""
        interior = uniform(gen, self.n_interior, [-1.0, 0.0], [1.0, 1.0])
        n_initial = self.n_boundary // 2
        initial = torch.stack([2 * torch.rand(n_initial, generator=gen) - 1, torch.zeros(n_initial)], dim=1)
        n_wall = self.n_boundary - n_initial
        wall_t = torch.rand(n_wall, generator=gen)
        wall_x = torch.where(torch.arange(n_wall) % 2 == 0, -1.0, 1.0)
        boundary = torch.cat([initial, torch.stack([wall_x, wall_t], dim=1)])
        boundary_u = torch.cat([-torch.sin(math.pi * initial[:, :1]), torch.zeros(n_wall, 1)])
        return interior, boundary, boundary_u

    def feature_counts(self) -> tuple[int, int]:
        """(in_features, out_features) of the splits :meth:`load` makes, known without making them."""
        return 2, 1  # (x, t) ↦ u

    def load(self, seed: int) -> Splits:
        x, t, u = reference_solution(float(self.nu))
        grid = torch.from_numpy(np.stack(np.meshgrid(x, t), axis=-1).reshape(-1, 2))
        u_test = torch.from_numpy(u.reshape(-1, 1))
        return pde_splits(self, *self.points(torch.Generator().manual_seed(seed)), self.residual, grid, u_test,
                          source=f"synthetic:burgers-nu{self.nu:.6g}-colehopf{N_X}x{N_T}", test_grid=u.shape,
                          val=self.points(validation_generator(seed)))
