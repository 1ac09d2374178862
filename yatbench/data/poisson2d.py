"""2-D Poisson on the unit square: −Δu = f, u = 0 on the boundary, u = sin(πx)·sin(πy).

f = 2π² sin(πx) sin(πy). Collocation: ``n_interior`` points uniform in the square and
``n_boundary`` points uniform on its four edges (a quarter each), drawn with the run seed;
validation: as many again, drawn the same way from the validation generator (``yatbench/data/pde.py``);
test grid: ``n_test`` × ``n_test`` evenly spaced points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from yatbench.core.errors import UserError
from yatbench.core.lazy import lazy
from yatbench.data.base import Splits
from yatbench.data.pde import CollocationConfig, Points, laplacian, pde_splits, uniform, validation_generator

if TYPE_CHECKING:
    from torch import Tensor

torch = lazy("torch")


@dataclass
class Poisson2dConfig(CollocationConfig):
    """Collocation counts and loss weights (``CollocationConfig``) and the test grid side ``n_test``."""

    name: str = "poisson2d"
    n_interior: int = 400
    n_boundary: int = 100
    n_test: int = 101

    def __post_init__(self) -> None:
        self.check_collocation(min_boundary=4)
        if self.n_test < 2:
            raise UserError(f"dataset.n_test={self.n_test} must be >= 2")

    @staticmethod
    def exact(xy: Tensor) -> Tensor:
        """u(x, y), (…, n, 1)."""
        return torch.sin(math.pi * xy[..., :1]) * torch.sin(math.pi * xy[..., 1:2])

    def residual(self, xy: Tensor, u: Tensor) -> Tensor:
        """−Δu − f."""
        return -laplacian(u, xy) - 2 * math.pi ** 2 * self.exact(xy)

    def points(self, gen: torch.Generator) -> Points:
        """Collocation points in the square, boundary points on its edges (drawn from ``gen``) and u there."""
        interior = uniform(gen, self.n_interior, [0.0, 0.0], [1.0, 1.0])
        along = torch.rand(self.n_boundary, generator=gen)
        edge = torch.arange(self.n_boundary) % 4  # 0: y=0, 1: x=1, 2: y=1, 3: x=0
        fixed = (edge == 1) | (edge == 2)
        on_x = (edge % 2 == 1)  # edges x = const
        boundary = torch.stack([torch.where(on_x, fixed.float(), along),
                                torch.where(on_x, along, fixed.float())], dim=1)
        return interior, boundary, self.exact(boundary)

    def feature_counts(self) -> tuple[int, int]:
        """(in_features, out_features) of the splits :meth:`load` makes, known without making them."""
        return 2, 1  # (x, y) ↦ u

    def load(self, seed: int) -> Splits:
        side = torch.linspace(0.0, 1.0, self.n_test)
        grid = torch.cartesian_prod(side, side)
        return pde_splits(self, *self.points(torch.Generator().manual_seed(seed)), self.residual,
                          grid, self.exact(grid), source="synthetic:poisson2d", test_grid=(self.n_test, self.n_test),
                          val=self.points(validation_generator(seed)))
