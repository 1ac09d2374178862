"""XOR after a change of inputs (seeds/004): with (u + v, u·v) as inputs, one linear layer solves it.

On {0,1}, XOR = u + v − 2uv; on ±1, XOR = (1 − uv)/2: linear in the new inputs, so the plain
linear model (no hidden layer) should solve it from any start. The runs are ``model=linear
dataset.features=sum_product`` (the ``xor`` preset); the same model on raw inputs, which no line
can solve, is quoted beside it.
"""

from __future__ import annotations

import pandas as pd

from yatbench.report.claims.base import (
    CONTRADICTED,
    MIN_SEEDS,
    SUPPORTED,
    SWEEP,
    Claim,
    Quote,
    at_thresholds,
    runs_text,
)
from yatbench.report.claims.xor import ENCODINGS, solved
from yatbench.report.context import Context
from yatbench.report.stats import fmt_interval, wilson

SOLVE_RATE = 0.9  # a linear problem: a convex loss, so nearly every seed should solve it
NEIGHBOURS = (0.5, 0.99)
QUOTE = Quote("004", "remodel xor into being a linear function by using u + v as input 1 and u * v as input 2 which "
                     "means it can be represented in a NN without a hidden layer")


def _raw_partner(ctx: Context, frame: pd.DataFrame, encoding: str) -> str:
    """The linear model on raw inputs, same encoding and noise: its solve rate, or a note that it was not run."""
    trainer = [c for c in frame.columns if c.startswith("trainer.")]
    for raw in ctx.matching("xor", "linear", **{"dataset.features": "raw", "dataset.encoding": encoding,
                                                "dataset.noise": "0"}):
        if all(str(raw[c].iloc[0]) == str(frame[c].iloc[0]) for c in trainer if c in raw.columns):
            k, n = solved(raw)
            return f"the same linear model on raw (u, v) solved {k} / {n} seeds"
    return "no run of the linear model on raw inputs trained alike"


def xor_sum_product(ctx: Context, encoding: str) -> list[Claim]:
    def new() -> Claim:
        return Claim(
            f"xor_sum_product_{encoding}",
            f"With u + v and u·v as its two inputs, XOR ({ENCODINGS[encoding]} corners) is a linear function: "
            "a model without a hidden layer solves it.", "seeds/004",
            "Share of seeds on which xor · linear with dataset.features=sum_product (noise 0) classifies all 4 "
            "points correctly, with its Wilson 95% interval; the same linear model on raw inputs beside it.",
            f"Supported if the Wilson lower bound ≥ {SOLVE_RATE} (a linear problem with a convex loss: yatbench "
            f"expects nearly every seed to solve it); contradicted if the upper bound < {SOLVE_RATE}. At least "
            f"{MIN_SEEDS} seeds.", quotes=(QUOTE,), command=SWEEP["xor"], earned_by="n/a",
            short=f"XOR is linear in (u + v, u·v) ({ENCODINGS[encoding]})")
    frames = ctx.matching("xor", "linear", **{"dataset.features": "sum_product", "dataset.encoding": encoding,
                                              "dataset.noise": "0"})
    if not frames:
        claim = new()
        claim.runs = "linear (sum_product): none"
        claim.evidence = "no runs of the linear model on sum_product features"
        return [claim]
    claims = []
    for frame in frames:
        claim = new().about([frame])
        claim.runs = runs_text(frame, "linear (sum_product)")
        k, n = solved(frame)
        lo, hi = wilson(k, n)
        claim.evidence = (f"solved {k} / {n} seeds, Wilson 95% {fmt_interval(lo, hi, 2)}; "
                          f"{_raw_partner(ctx, frame, encoding)}")
        claim.headline = f"solved {k} / {n}, Wilson 95% {fmt_interval(lo, hi, 2)}"
        if n >= MIN_SEEDS:
            claim.seeds = n
            claim.verdict = SUPPORTED if lo >= SOLVE_RATE else CONTRADICTED if hi < SOLVE_RATE else claim.verdict
            claim.thresholds = at_thresholds(lo, hi, tuple(sorted({SOLVE_RATE, *NEIGHBOURS})), True)
        claims.append(claim)
    return claims


CLAIMS = [lambda ctx: xor_sum_product(ctx, "pm1"), lambda ctx: xor_sum_product(ctx, "binary")]
