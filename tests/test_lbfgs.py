"""The seed-stacked L-BFGS (yatbench/train/lbfgs.py): each seed of a stack gets what it gets alone, and it converges."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from yatbench.train.lbfgs import StackedLBFGS

# Per-seed Rosenbrock-type problems, f_s(x, y) = (a_s − x)² + b_s (y − x²)²: minimum at (a_s, a_s²), f = 0.
A = torch.tensor([1.0, -0.5, 2.0, 0.3], dtype=torch.float64)
B = torch.tensor([100.0, 10.0, 30.0, 5.0], dtype=torch.float64)
START = torch.tensor([[-1.2, 1.0], [0.5, 2.0], [0.0, 0.0], [3.0, -1.0]], dtype=torch.float64)


def rosenbrock(p: torch.Tensor, seeds: list[int]) -> torch.Tensor:
    """Each seed's loss, (S,), from its own row of p (S, 2) only."""
    a, b = A[seeds], B[seeds]
    return (a - p[:, 0]) ** 2 + b * (p[:, 1] - p[:, 0] ** 2) ** 2


def minimise(seeds: list[int], iterations: int,
             poison: int | None = None) -> tuple[list[torch.Tensor], list[list[float]]]:
    """L-BFGS on the seeds' stacked problems; every iterate and each step's losses. ``poison``: a seed index whose
    loss is NaN from the start (a diverged seed in the stack)."""
    p = START[seeds].clone().requires_grad_(True)
    opt = StackedLBFGS([p])

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = rosenbrock(p, seeds)
        if poison is not None:
            loss = loss * torch.where(torch.arange(len(seeds)) == poison, math.nan, 1.0)  # NaN in its own slice
        loss.backward(torch.ones_like(loss))
        return loss

    iterates, losses = [], []
    for _ in range(iterations):
        losses.append(opt.step(closure).tolist())
        iterates.append(p.detach().clone())
    return iterates, losses


def test_each_seed_in_a_stack_follows_its_own_path() -> None:
    """Seeds with different problems and scales, stacked: every iterate of each equals that seed's alone, although
    the group makes more evaluations than any seed alone (its line searches wait for the slowest)."""
    seeds = [0, 1, 2, 3]
    together, _ = minimise(seeds, 40)
    for row, seed in enumerate(seeds):
        alone, _ = minimise([seed], 40)
        gap = max((t[row] - a[0]).abs().max().item() for a, t in zip(alone, together, strict=True))
        assert gap <= 1e-12, (seed, gap)


def test_it_converges_on_each_seeds_problem() -> None:
    iterates, losses = minimise([0, 1, 2, 3], 100)
    expected = torch.stack([A, A * A], dim=1)
    torch.testing.assert_close(iterates[-1], expected, rtol=0, atol=1e-6)
    assert all(loss < 1e-12 for loss in losses[-1])
    # the losses it returns are those where each step started: never rising, per seed
    for seed in range(4):
        path = [step[seed] for step in losses]
        assert all(b <= a for a, b in itertools.pairwise(path))


def test_a_diverged_seed_does_not_move_the_others() -> None:
    healthy, _ = minimise([0, 1, 2], 30)
    poisoned, losses = minimise([0, 1, 2], 30, poison=1)
    gap = max((p[[0, 2]] - h[[0, 2]]).abs().max().item() for p, h in zip(poisoned, healthy, strict=True))
    assert gap <= 1e-12
    torch.testing.assert_close(poisoned[-1][1], START[1])  # no finite loss: no step accepted
    assert math.isnan(losses[-1][1])


@pytest.mark.parametrize("kwargs", [{"lr": 0.0}, {"history_size": 0}, {"c1": 1.0}, {"max_backtracks": -1}])
def test_bad_settings_are_refused(kwargs) -> None:
    with pytest.raises(ValueError, match="StackedLBFGS needs"):
        StackedLBFGS([torch.zeros(2, 2, requires_grad=True)], **kwargs)
