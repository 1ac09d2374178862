"""The cost objection (seeds/004): does a Yat layer need about twice the memory of a dot product on chip?

The seed's sentence is about a GEMV kernel's on-chip state: "it essentially doubles the amount of memory
needed on-chip. Yat-Product GEMMV now needs to store the running total of the inner product and the norm
of the input vectors." It is decided by counting the running state of streamed computations that give
the layer's result (:mod:`yatbench.onchip`), each checked here against ``nn.Linear`` / ``YatLayer`` on the
same tensors: the seed's own scheme, the direct distance, and the norms computed before the GEMM. The
count is exact by construction (an analytic claim: no seeds, no interval); it is not a reading of a GPU
kernel's registers, which yatbench does not have. The memory a layer needs in *training* (parameters +
what autograd keeps for backward, each storage once) is measured beside it on the real layers — a
different quantity from the seed's, so a note, not the verdict.
"""

from __future__ import annotations

from functools import cache

import torch
from torch import nn

from yatbench.nn.yat import YatLayer, yat_reference
from yatbench.onchip import SCHEMES, streamed, training_bytes
from yatbench.report.claims.base import CONTRADICTED, SUPPORTED, Claim, Quote, at_thresholds
from yatbench.report.context import Context

DOUBLED = 1.5  # 'doubles': closer to 2× than to 1× the dot product's running state
NEIGHBOURS = (1.25, 2.0)
GEMV = (1, 128, 64)  # batch 1 (a GEMV); the state ratios depend on the tile and the batch, not on in or out
TILES = (1, 8, 64)  # outputs whose running totals one tile (thread, warp or block) holds
TRAINING_SHAPE = (256, 784, 256)  # batch, in, out of the training-memory note
DESCRIBE = {"seed": "the seed's scheme (running w·x per output + running ‖x‖² per row; ‖w‖² read at the end)",
            "direct": "the direct distance (running w·x and running ‖w − x‖² per output)",
            "norms_first": "‖x‖² in a pass over x before the GEMM (running w·x only)"}


class _Reference(nn.Module):
    """The formula through plain autograd, with a YatLayer's parameters: what an unfused implementation keeps."""

    def __init__(self, layer: YatLayer) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lay = self.layer
        return yat_reference(x, lay.weight, lay.bias, lay.alpha, lay.epsilon, lay.bias_mode)


@cache  # deterministic (fixed seed, fixed shapes): counted once per process, however many reports it builds
def scheme_ratios() -> dict[str, dict[int, float]]:
    """Running state of each Yat scheme ÷ the dot product's at the GEMV shape, per tile size; every streamed output
    checked against the real layers (ValueError if one is not the layer's result)."""
    batch, fan_in, fan_out = GEMV
    torch.manual_seed(0)
    layer, linear = YatLayer(fan_in, fan_out), nn.Linear(fan_in, fan_out)
    x = torch.randn(batch, fan_in)
    with torch.no_grad():
        want_yat, want_dot = layer(x), linear(x)
        w, b = layer.weight, layer.bias
        out: dict[str, dict[int, float]] = {}
        for scheme in SCHEMES:
            out[scheme] = {}
            for tile in TILES:
                got = streamed(x, w, b, scheme, tile, alpha=float(layer.alpha), epsilon=float(layer.epsilon))
                dot = streamed(x, linear.weight, linear.bias, "linear", tile)
                if not (torch.allclose(got.out, want_yat, rtol=1e-4, atol=1e-6)
                        and torch.allclose(dot.out, want_dot, rtol=1e-4, atol=1e-6)):
                    raise ValueError(f"the streamed {scheme} scheme does not give the layer's output")
                out[scheme][tile] = got.state_bytes / dot.state_bytes
    return out


@cache
def training_ratios() -> dict[str, dict[str, float]]:
    """Parameters + kept-for-backward bytes ÷ Linear+ReLU's, per position (hidden: x needs grad; first: not)."""
    batch, fan_in, fan_out = TRAINING_SHAPE
    torch.manual_seed(0)
    layer = YatLayer(fan_in, fan_out)
    out: dict[str, dict[str, float]] = {}
    for position in ("hidden", "first"):
        x = torch.randn(batch, fan_in, requires_grad=position == "hidden")
        base = training_bytes(nn.Sequential(nn.Linear(fan_in, fan_out), nn.ReLU()), x)
        out[position] = {"YatLayer": training_bytes(layer, x) / base,
                         "plain autograd": training_bytes(_Reference(layer), x) / base}
    return out


def cost_memory(ctx: Context) -> list[Claim]:
    claim = Claim(
        "cost_memory", "A Yat layer essentially doubles the memory a dot-product GEMV needs on chip (it must keep "
                       "the running norm of the input beside the running dot product).", "seeds/004",
        f"The running state (accumulators carried across the walk over d) of streamed computations of a {GEMV[1]} → "
        f"{GEMV[2]} layer on one input (a GEMV), per tile of {', '.join(map(str, TILES))} outputs, ÷ the dot "
        "product's: " + "; ".join(f"{k}: {v}" for k, v in DESCRIBE.items()) + ". Each streamed output is checked "
        "against nn.Linear / YatLayer. Counted in PyTorch, exact by construction; not a GPU kernel's registers.",
        f"Supported if the least running state any of these schemes needs is ≥ {DOUBLED}× the dot product's at the "
        "same tile (closer to 2× than to 1×: the memory 'needed'); contradicted if below.",
        quotes=(Quote("004", "it essentially doubles the amount of memory needed on-chip"),
                Quote("004", "Yat-Product GEMMV now needs to store the running total of the inner product and the "
                             "norm of the input vectors")),
        short="Yat doubles the memory of a dot product", kind="analytic")
    ratios = scheme_ratios()
    least = min(min(per_tile.values()) for per_tile in ratios.values())
    cheapest = [s for s in SCHEMES if min(ratios[s].values()) == least]
    claim.verdict = SUPPORTED if least >= DOUBLED else CONTRADICTED
    seed = ratios["seed"]
    claim.headline = (f"least running state {least:.2f}× the dot product's; the seed's own scheme "
                      + " / ".join(f"{seed[t]:.3g}×" for t in TILES) + f" at {'/'.join(map(str, TILES))} outputs "
                      "per tile")
    claim.evidence = "; ".join(f"{s}: " + ", ".join(f"{ratios[s][t]:.3g}× at {t}" for t in TILES) for s in SCHEMES)
    claim.evidence += (f" (outputs per tile); least: {least:.3g}× ({', '.join(cheapest)}). The seed's scheme carries "
                       "one running ‖x‖² per input row beside the tile's running dot products, so it doubles the "
                       "state only when a tile holds a single output")
    claim.thresholds = at_thresholds(least, least, tuple(sorted({DOUBLED, *NEIGHBOURS})), True)
    training = training_ratios()
    claim.notes.append(
        f"memory in training, a different quantity (parameters + what autograd keeps for backward, each storage once; "
        f"batch {TRAINING_SHAPE[0]}, {TRAINING_SHAPE[1]} → {TRAINING_SHAPE[2]}, ÷ Linear+ReLU): "
        + "; ".join(f"{pos} layer: " + ", ".join(f"{name} {r:.3f}×" for name, r in per.items())
                    for pos, per in training.items())
        + ". `yatbench bench` times the layers and counts the bytes at more shapes")
    return [claim]


CLAIMS = [cost_memory]
