"""Division of labour (seeds/001): does the attention gate hand each law to its own linear expert?

Decided from what the runs recorded at run time (:mod:`yatbench.labour`): ``unit_nmi``, the
normalised mutual information between the gate's argmax expert and the law (slope band k) that made
each test sample, and ``expert_slope_recovered``, the share of bands whose dominant expert's weight
on x is its band's slope within 10%. Any configuration of the attention model whose runs recorded
them is decided on its own; the same NMI of the Yat (and ReLU) nets' first hidden layer, trained
alike, is quoted beside it.
"""

from __future__ import annotations

import pandas as pd

from yatbench.report.claims.base import SWEEP, Claim, Quote, ok, runs_text, threshold
from yatbench.report.context import Context
from yatbench.report.stats import summarize
from yatbench.report.tables import col

NMI = 0.5  # the gate's choice carries at least half of the band's information
NMI_NEIGHBOURS = (0.3, 0.7)
RECOVERED = 0.8  # 4 of 5 bands
RECOVERED_NEIGHBOURS = (0.6, 1.0)
QUOTE = Quote("001", "This creates a \"division of labor\" and lets the linear functions stay as-is while the "
                     "attention layer toggles between them using the higher-order variable y")


def labour_arms(ctx: Context, metric: str) -> list[pd.DataFrame]:
    """Configurations of the attention model whose finished runs recorded ``metric``."""
    return [f for f in ctx.matching(None, "attention") if col(ok(f), metric).notna().any()]


def _units_beside(ctx: Context, frame: pd.DataFrame) -> str:
    parts = []
    for model in ("yat", "relu"):
        for other in ctx.partner(frame, model):
            values = col(ok(other), "unit_nmi")
            if values.notna().any():
                label = other["variant_label"].iloc[0] or "default"
                parts.append(f"{model} ({label}, {int(other['params'].median())} params) first hidden layer's argmax "
                             f"unit: NMI {summarize(values).fmt(3)} (n = {values.notna().sum()})")
    return "; ".join(parts) if parts else "no Yat or ReLU runs trained alike recorded the same measure"


def _missing(new) -> list[Claim]:
    claim = new()
    claim.evidence = ("no attention runs recorded it (runs on data with several laws, e.g. the compositional toy; "
                      "runs from before it was recorded lack it: rerun them with --force)")
    return [claim]


def gate_nmi(ctx: Context) -> list[Claim]:
    def new() -> Claim:
        return Claim(
            "labour_gate_nmi",
            "The attention gate divides the labour: its choice of expert follows the law (the band of y) that "
            "generated each sample.", "seeds/001",
            "Normalised mutual information, on the test set, between the gate's argmax expert and the slope band k "
            "(unit_nmi, recorded at run time), per seed.",
            f"Supported if the 95% CI of the mean NMI lies ≥ {NMI} (yatbench's choice: the gate's choice carries at "
            f"least half of the band's information); contradicted if it lies below {NMI}.",
            quotes=(QUOTE,), command=SWEEP["default"], short="the gate divides the labour by band (NMI)")
    claims = []
    for frame in labour_arms(ctx, "unit_nmi"):
        claim = new().about([frame])
        claim.runs = runs_text(frame, "attention")
        threshold(claim, col(ok(frame), "unit_nmi").tolist(), NMI, NMI_NEIGHBOURS, True, "gate–band NMI",
                  bounded=True)
        claim.notes.append("the same measure for other models trained alike: " + _units_beside(ctx, frame))
        claims.append(claim)
    return claims or _missing(new)


def expert_slopes(ctx: Context) -> list[Claim]:
    def new() -> Claim:
        return Claim(
            "labour_expert_slopes",
            "With the gate toggling between them, the linear experts stay as-is: each band's dominant expert is that "
            "band's linear law.", "seeds/001",
            "Per seed, the share of slope bands whose dominant expert (the gate's most frequent choice on the band's "
            "test samples) has a weight on x within 10% of the band's slope a_k (expert_slope_recovered, recorded at "
            "run time); the mean relative slope error beside it.",
            f"Supported if the 95% CI of the mean share lies ≥ {RECOVERED} (4 of 5 bands); contradicted if it lies "
            f"below {RECOVERED}.", quotes=(QUOTE,), command=SWEEP["default"],
            short="each expert recovers its band's slope")
    claims = []
    for frame in labour_arms(ctx, "expert_slope_recovered"):
        claim = new().about([frame])
        claim.runs = runs_text(frame, "attention")
        threshold(claim, col(ok(frame), "expert_slope_recovered").tolist(), RECOVERED, RECOVERED_NEIGHBOURS, True,
                  "share of bands recovered", bounded=True)
        error = summarize(col(ok(frame), "expert_slope_error"))
        claim.notes.append(f"mean relative slope error of the dominant experts: {error.fmt(3)} (n = {error.n})")
        claims.append(claim)
    return claims or _missing(new)


CLAIMS = [gate_nmi, expert_slopes]
