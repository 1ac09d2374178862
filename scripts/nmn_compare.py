"""Accuracy of nmn's ``YatNMN`` and yatbench's drop-in at x = w and near it, against a float64 oracle.

    python scripts/nmn_compare.py [--draws 20] [--units 16]

Both layers hold the same fp32 weights (nmn's state dict loaded strictly into yatbench's) and see
the same fp32 inputs: each unit's own weight row w, exactly (x = w) or moved (x = w·(1 + 1e-3),
x = w + 1e-3·rms(w)·noise). The oracle is the formula in float64 on those same values with the
distance taken from the difference, Σ(x − w)², which does not cancel. Printed per case: the median
and the worst relative error of y at the matched pairs (x_i = w_i moved), and of ∂y_i/∂x_i
(norm-wise), over n = draws × units pairs, for d = 64 and 784; and the same for yatbench's layer
after ``torch.jit.trace``. Needs nmn (the ``test`` extra).
"""

from __future__ import annotations

import argparse

import torch
from nmn.torch import YatNMN as NmnYatNMN

from yatbench.nn import YatNMN

CASES = {
    "x = w": lambda w, g: w.clone(),
    "x = w·(1 + 1e-3)": lambda w, g: w * (1 + 1e-3),
    "x = w + 1e-3·rms noise": lambda w, g: w + 1e-3 * w.square().mean().sqrt() * torch.randn(w.shape, generator=g),
}


def oracle(x: torch.Tensor, layer: torch.nn.Module) -> torch.Tensor:
    """y_ii in float64, distance from the difference: x (m, d) row i against unit i."""
    x, w = x.double(), layer.weight.detach().double()
    b, a = layer.bias.detach().double(), layer.alpha.detach().double()
    return a * ((x * w).sum(-1) + b).square() / ((x - w).square().sum(-1) + layer.epsilon)


def errors(layer: torch.nn.Module, x: torch.Tensor, reference: torch.nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """Relative errors of y_ii and of ∂y_ii/∂x_i (norm-wise) against the float64 oracle."""
    x32 = x.clone().requires_grad_()
    y = layer(x32).diagonal()
    (grad,) = torch.autograd.grad(y.sum(), x32)
    x64 = x.double().requires_grad_()
    y64 = oracle(x64, reference)
    (grad64,) = torch.autograd.grad(y64.sum(), x64)
    fwd = ((y.double() - y64) / y64).abs().detach()
    bwd = (grad.double() - grad64).norm(dim=-1) / grad64.norm(dim=-1)
    return fwd, bwd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--units", type=int, default=16)
    args = parser.parse_args()
    print("| d | input | n | nmn y (median / worst) | yatbench y | traced yatbench y | nmn ∂y/∂x | yatbench ∂y/∂x |")
    print("|---|---|---|---|---|---|---|---|")
    for d in (64, 784):
        for name, make in CASES.items():
            found: dict[str, list[torch.Tensor]] = {k: [] for k in ("nf", "yf", "tf", "nb", "yb")}
            for draw in range(args.draws):
                torch.manual_seed(draw)
                g = torch.Generator().manual_seed(10_000 + draw)
                nmn = NmnYatNMN(d, args.units)
                ours = YatNMN(d, args.units)
                ours.load_state_dict(nmn.state_dict(), strict=True)
                x = make(nmn.weight.detach(), g)
                traced = torch.jit.trace(ours, x, check_trace=False)
                for key, layer in (("n", nmn), ("y", ours), ("t", traced)):
                    fwd, bwd = errors(layer, x, nmn)
                    found[key + "f"].append(fwd)
                    if key != "t":
                        found[key + "b"].append(bwd)
            cells = []
            for key in ("nf", "yf", "tf", "nb", "yb"):
                e = torch.cat(found[key])
                cells.append(f"{e.median().item():.1e} / {e.max().item():.1e}")
            n = args.draws * args.units
            print(f"| {d} | {name} | {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
