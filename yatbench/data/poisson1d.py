"""1-D Poisson: −u″ = f on [0, 1], u(0) = u(1) = 0, with a closed-form solution.

    smooth:      u = sin(πx),                    f = π² sin(πx)
    multiscale:  u = sin(πx) + a·sin(kπx),       f = π² sin(πx) + a k² π² sin(kπx)   (a = 0.1, k = 8)

The multi-scale solution tests spectral bias: the small high-frequency part dominates f (its
term is a·k² = 6.4 times the smooth one) but is only a tenth of u, so a network that misses it
scores a relative L2 error near 0.1. Collocation: ``n_interior`` points uniform in (0, 1) drawn
with the run seed, plus the two end points; validation: as many points from the validation generator
(``yatbench/data/pde.py``), the same two end points; test grid: ``n_test`` evenly spaced points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from yatbench.core.errors import UserError
from yatbench.core.lazy import lazy
from yatbench.data.base import Splits
from yatbench.data.pde import CollocationConfig, Points, grad, pde_splits, uniform, validation_generator

if TYPE_CHECKING:
    from torch import Tensor

torch = lazy("torch")

SOLUTIONS = ("smooth", "multiscale")


@dataclass
class Poisson1dConfig(CollocationConfig):
    """``solution``: smooth | multiscale; ``amplitude``, ``frequency``: a and k of the multi-scale term."""

    name: str = "poisson1d"
    solution: str = "smooth"
    amplitude: float = 0.1
    frequency: int = 8
    n_test: int = 1001

    def __post_init__(self) -> None:
        if self.solution not in SOLUTIONS:
            raise UserError(f"dataset.solution={self.solution!r} is not valid; choose one of {', '.join(SOLUTIONS)}")
        if self.frequency < 1:
            raise UserError(f"dataset.frequency={self.frequency} must be >= 1")
        if self.n_test < 2:
            raise UserError(f"dataset.n_test={self.n_test} must be >= 2")
        self.check_collocation(min_boundary=2)
        if self.n_boundary != 2:
            raise UserError(f"dataset.n_boundary={self.n_boundary}: the 1-D domain has exactly 2 boundary points")

    def terms(self) -> list[tuple[float, float]]:
        """(amplitude, angular frequency) of each sine in u."""
        terms = [(1.0, math.pi)]
        if self.solution == "multiscale":
            terms.append((self.amplitude, self.frequency * math.pi))
        return terms

    def exact(self, x: Tensor) -> Tensor:
        """u(x), (…, n, 1) for x (…, n, 1)."""
        return sum(a * torch.sin(w * x) for a, w in self.terms())

    def forcing(self, x: Tensor) -> Tensor:
        """f = −u″."""
        return sum(a * w * w * torch.sin(w * x) for a, w in self.terms())

    def residual(self, x: Tensor, u: Tensor) -> Tensor:
        """−u″ − f."""
        return -grad(grad(u, x), x) - self.forcing(x)

    def points(self, gen: torch.Generator) -> Points:
        """``n_interior`` collocation points drawn from ``gen``, the two end points and u there."""
        interior = uniform(gen, self.n_interior, [0.0], [1.0])
        boundary = torch.tensor([[0.0], [1.0]])
        return interior, boundary, self.exact(boundary)

    def feature_counts(self) -> tuple[int, int]:
        """(in_features, out_features) of the splits :meth:`load` makes, known without making them."""
        return 1, 1  # x ↦ u

    def load(self, seed: int) -> Splits:
        x_test = torch.linspace(0.0, 1.0, self.n_test).unsqueeze(1)
        return pde_splits(self, *self.points(torch.Generator().manual_seed(seed)), self.residual,
                          x_test, self.exact(x_test), source=f"synthetic:poisson1d-{self.solution}",
                          test_grid=(self.n_test,), val=self.points(validation_generator(seed)))
