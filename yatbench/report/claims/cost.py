"""The cost objection (seeds/004): does a Yat layer need about twice the memory of a dot product on chip?

The seed's sentence is about a GEMV kernel's on-chip state: "it essentially doubles the amount of memory
needed on-chip. Yat-Product GEMMV now needs to store the running total of the inner product and the norm
of the input vectors." It is decided by counting the running state of streamed computations that give
the layer's result (:mod:`yatbench.measures.onchip`), each checked here against ``nn.Linear`` / ``YatLayer`` on the
same tensors: the seed's own scheme, the direct distance, and the norms computed before the GEMM. The
count is exact by construction (an analytic claim: no seeds, no interval); it is not a reading of a GPU
kernel's registers, which yatbench does not have. The memory a layer needs in *training* (parameters +
what autograd keeps for backward, each storage once) is measured beside it on the real layers — a
different quantity from the seed's, so a note, not the verdict.
"""

from __future__ import annotations

from functools import cache

from yatbench.report.claims.base import CONTRADICTED, SUPPORTED, Claim, Quote, at_thresholds
from yatbench.report.context import Context

DOUBLED = 1.5  # 'doubles': closer to 2× than to 1× the dot product's running state
NEIGHBOURS = (1.25, 2.0)
GEMV = (1, 128, 64)  # batch 1 (a GEMV); the state ratios depend on the tile and the batch, not on in or out
TILES = (1, 8, 64)  # outputs whose running totals one tile (thread, warp or block) holds
TRAINING_SHAPE = (256, 784, 256)  # batch, in, out of the training-memory note


@cache  # deterministic (fixed seed, fixed shapes): counted once per process, however many reports it builds
def _scheme_ratios() -> tuple[dict[str, dict[int, float]], dict[str, str]]:
    """Per scheme and tile, its running state ÷ the dot product's; and each scheme's description."""
    from yatbench.measures.onchip import SCHEMES, scheme_ratios  # torch: only once a report decides this claim

    return scheme_ratios(GEMV, TILES), SCHEMES


@cache
def _training_ratios() -> dict[str, dict[str, float]]:
    from yatbench.measures.onchip import training_ratios

    return training_ratios(TRAINING_SHAPE)


def cost_memory(ctx: Context) -> list[Claim]:
    ratios, describe = _scheme_ratios()
    claim = Claim(
        "cost_memory", "A Yat layer essentially doubles the memory a dot-product GEMV needs on chip (it must keep "
                       "the running norm of the input beside the running dot product).", "seeds/004",
        f"The running state (accumulators carried across the walk over d) of streamed computations of a {GEMV[1]} → "
        f"{GEMV[2]} layer on one input (a GEMV), per tile of {', '.join(map(str, TILES))} outputs, ÷ the dot "
        "product's: " + "; ".join(f"{k}: {v}" for k, v in describe.items()) + ". Each streamed output is checked "
        "against nn.Linear / YatLayer. Counted in PyTorch, exact by construction; not a GPU kernel's registers.",
        f"Supported if the least running state any of these schemes needs is ≥ {DOUBLED}× the dot product's at the "
        "same tile (closer to 2× than to 1×: the memory 'needed'); contradicted if below.",
        quotes=(Quote("004", "it essentially doubles the amount of memory needed on-chip"),
                Quote("004", "Yat-Product GEMMV now needs to store the running total of the inner product and the "
                             "norm of the input vectors")),
        short="Yat doubles the memory of a dot product", kind="analytic")
    least = min(min(per_tile.values()) for per_tile in ratios.values())
    cheapest = [s for s in ratios if min(ratios[s].values()) == least]
    claim.verdict = SUPPORTED if least >= DOUBLED else CONTRADICTED
    seed = ratios["seed"]
    claim.headline = (f"least running state {least:.2f}× the dot product's; the seed's own scheme "
                      + " / ".join(f"{seed[t]:.3g}×" for t in TILES) + f" at {'/'.join(map(str, TILES))} outputs "
                      "per tile")
    claim.evidence = "; ".join(f"{s}: " + ", ".join(f"{ratios[s][t]:.3g}× at {t}" for t in TILES) for s in ratios)
    claim.evidence += (f" (outputs per tile); least: {least:.3g}× ({', '.join(cheapest)}). The seed's scheme carries "
                       "one running ‖x‖² per input row beside the tile's running dot products, so it doubles the "
                       "state only when a tile holds a single output")
    claim.thresholds = at_thresholds(least, least, tuple(sorted({DOUBLED, *NEIGHBOURS})), True)
    training = _training_ratios()
    claim.notes.append(
        f"memory in training, a different quantity (parameters + what autograd keeps for backward, each storage once; "
        f"batch {TRAINING_SHAPE[0]}, {TRAINING_SHAPE[1]} → {TRAINING_SHAPE[2]}, ÷ Linear+ReLU): "
        + "; ".join(f"{pos} layer: " + ", ".join(f"{name} {r:.3f}×" for name, r in per.items())
                    for pos, per in training.items())
        + ". `yatbench bench` times the layers and counts the bytes at more shapes")
    return [claim]


CLAIMS = [cost_memory]
