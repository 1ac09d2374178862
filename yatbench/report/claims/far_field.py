"""The far field of one Yat neuron (seeds/000): does ⵟ(w, x) decay for distant inputs?

Along a direction u at angle θ from w, x = t·u with ‖u‖ = ‖w‖:

    ⵟ(w, t·u) = (t·w·u + b)² / (‖w − t·u‖² + ε)  →  (w·u)²/‖u‖² = ‖w‖² cos²θ   as t → ∞,

for any bias b: numerator and denominator both grow as t². So ⵟ tends to 0 only orthogonally to
w; along w it tends to ‖w‖² (2.0004 at t = 10⁴ for w = (1, 1)). Decided numerically in float64 on
:func:`yatbench.nn.yat.yat_reference`, like the bound claim; no runs.
"""

from __future__ import annotations

import math

from yatbench.report.claims.base import CONTRADICTED, SUPPORTED, Claim, Quote, at_thresholds
from yatbench.report.claims.formula import FORMULA_ONLY
from yatbench.report.context import Context
from yatbench.report.measures import EPSILON, yat_at

WEIGHT = (1.0, 1.0)
ANGLES = (0.0, 45.0, 80.0, 90.0)  # degrees between w and the direction x moves along
FAR = 1e4  # ‖x‖ = FAR·‖w‖
DECAYED = 0.01  # 'decays': the far value is below 1% of ‖w‖², the neuron's scale away from its peak
NEIGHBOURS = (0.001, 0.1, 0.5)


def far_value(weight: tuple[float, float], bias: float, degrees: float, t: float) -> float:
    """ⵟ(w, t·R(θ)w) in float64 (R(θ): rotation by θ, so ‖x‖ = t‖w‖)."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    x = (t * (c * weight[0] - s * weight[1]), t * (s * weight[0] + c * weight[1]))
    return yat_at(weight, bias, x)


def far_field(ctx: Context) -> list[Claim]:
    del ctx
    norm2 = WEIGHT[0] ** 2 + WEIGHT[1] ** 2
    claims = []
    for bias in (0.0, 0.5):
        claim = Claim(
            "far_field_decay" if bias == 0 else "far_field_decay_nmn_bias",
            "Responses are largest near x ≈ w and decay (towards 0) for distant inputs"
            + ("." if bias == 0 else "; variant with nmn's bias inside the square (b = 0.5)."),
            "seeds/000" if bias == 0 else "seeds/000 (the bias is nmn's, not the seed's)",
            f"ⵟ(w, x) for w = {WEIGHT}, b = {bias:g}, ε = {EPSILON:g}, float64, along directions at θ = "
            f"{', '.join(f'{a:g}°' for a in ANGLES)} from w, at ‖x‖ = 10·‖w‖, 100·‖w‖ and {FAR:g}·‖w‖; compared "
            "with the limit ‖w‖²·cos²θ that (t·w·u + b)²/(‖w − t·u‖² + ε) reaches as t → ∞ (‖u‖ = ‖w‖).",
            f"Supported if ⵟ at ‖x‖ = {FAR:g}·‖w‖ is below {DECAYED:g}·‖w‖² along every direction (yatbench's reading "
            "of 'decay': the response vanishes far away, relative to the neuron's scale ‖w‖² off its peak); "
            "contradicted if it stays above that along some direction.",
            quotes=(Quote("000", "Responses are largest near $\\mathbf{x} \\approx \\mathbf{w}$ and decay for "
                                 "distant inputs."),),
            short="ⵟ decays for distant inputs" + ("" if bias == 0 else " (nmn bias)"), runs=FORMULA_ONLY,
            kind="analytic" if bias == 0 else "variant")
        lines, worst = [], 0.0
        for degrees in ANGLES:
            values = [far_value(WEIGHT, bias, degrees, t) for t in (10.0, 100.0, FAR)]
            limit = 0.0 if degrees == 90 else norm2 * math.cos(math.radians(degrees)) ** 2
            worst = max(worst, values[-1] / norm2)
            lines.append(f"θ = {degrees:g}°: ⵟ = {values[0]:.4g}, {values[1]:.4g}, {values[2]:.5g} "
                         f"(limit ‖w‖²cos²θ = {limit:.5g})")
        peak = yat_at(WEIGHT, bias, WEIGHT)
        claim.verdict = SUPPORTED if worst < DECAYED else CONTRADICTED
        claim.headline = (f"along w, ⵟ → ‖w‖² = {norm2:g} (at {FAR:g}·‖w‖: {far_value(WEIGHT, bias, 0.0, FAR):.5g}),"
                          " not 0")
        claim.evidence = ("; ".join(lines) + f". At x = w, ⵟ = {peak:.4g}: the response is largest near x ≈ w "
                          f"(the far value is {worst * norm2 / peak:.2g} of the peak), but it tends to ‖w‖²cos²θ, "
                          "which is 0 only orthogonally to w.")
        claim.thresholds = at_thresholds(worst, worst, tuple(sorted({DECAYED, *NEIGHBOURS})), above=False)
        claim.notes.append("'largest near x ≈ w' holds; 'decay for distant inputs' holds only relative to the peak "
                           "or orthogonally to w; the inverse-distance term alone (kernel=distance) does decay to 0")
        claims.append(claim)
    return claims


CLAIMS = [far_field]
