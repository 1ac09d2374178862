"""The far field of one Yat neuron (seeds/000): "Responses are largest near x ≈ w and decay for distant inputs."

Two readings, two claims, both decided in float64 on :func:`yatbench.nn.yat.yat_reference` (no runs):

- **decays** (``far_field_decay``): the response falls with distance from w. Measured as the envelope
  M(r) = max ⵟ(w, x) over ‖x − w‖ = r: from the peak ‖w‖⁴/ε + ‖w‖² (4·10⁵ for w = (1, 1)) it falls
  to ≈ ‖w‖² (2) far away.
- **vanishes** (``far_field_vanish``): ⵟ → 0 far away. Along a direction u at angle θ from w,
  x = t·u with ‖u‖ = ‖w‖:

      ⵟ(w, t·u) = (t·w·u + b)² / (‖w − t·u‖² + ε)  →  (w·u)²/‖u‖² = ‖w‖² cos²θ   as t → ∞,

  for any bias b: numerator and denominator both grow as t². So ⵟ tends to 0 only orthogonally to
  w; along w it tends to ‖w‖² (2.0004 at t = 10⁴ for w = (1, 1)).

Along directions with w·u < 0 ⵟ rises with distance (from below) towards the same limit, so
"falls with distance" holds for the envelope, not along every ray; the decay row says so. nmn's
bias inside the square leaves the limit unchanged: a note on each row, not a row of its own.
"""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np

from yatbench.report.claims.base import CONTRADICTED, SUPPORTED, Claim, Quote, at_thresholds
from yatbench.report.claims.formula import FORMULA_ONLY
from yatbench.report.context import Context
from yatbench.report.measures import EPSILON, yat_at, yat_peak

WEIGHT = (1.0, 1.0)
ANGLES = (0.0, 45.0, 80.0, 90.0, 135.0, 180.0)  # degrees between w and the direction x moves along
FAR = 1e4  # ‖x‖ = FAR·‖w‖
DECAYED = 0.01  # 'vanishes': the far value is below 1% of ‖w‖², the neuron's scale away from its peak
NEIGHBOURS = (0.001, 0.1, 0.5)
RADII = (1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, FAR)  # ‖x − w‖ / ‖w‖ at which the envelope is read
FALLEN = 0.01  # 'decays': the envelope far away is below 1% of the peak
FALL_NEIGHBOURS = (1e-4, 0.1)
NMN_BIAS = 0.5
QUOTE = Quote("000", "Responses are largest near $\\mathbf{x} \\approx \\mathbf{w}$ and decay for distant inputs.")


def far_value(weight: tuple[float, float], bias: float, degrees: float, t: float) -> float:
    """ⵟ(w, t·R(θ)w) in float64 (R(θ): rotation by θ, so ‖x‖ = t‖w‖)."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    x = (t * (c * weight[0] - s * weight[1]), t * (s * weight[0] + c * weight[1]))
    return yat_at(weight, bias, x)


def envelope(weight: tuple[float, float], bias: float, radius: float, steps: int = 3600) -> float:
    """M(r) = max of ⵟ(w, x) over the circle ‖x − w‖ = r (``steps`` points on it), float64."""
    import torch

    from yatbench.nn.yat import yat_reference

    phi = np.linspace(0.0, 2 * math.pi, steps, endpoint=False)
    points = np.asarray(weight) + radius * np.stack([np.cos(phi), np.sin(phi)], 1)
    scores = yat_reference(torch.tensor(points, dtype=torch.float64), torch.tensor([weight], dtype=torch.float64),
                           torch.tensor([bias], dtype=torch.float64), None, EPSILON)
    return float(scores.max())


def far_field_decay(ctx: Context) -> list[Claim]:
    """'decay for distant inputs' read as 'the response falls with distance from w' (the envelope)."""
    del ctx
    norm = math.sqrt(WEIGHT[0] ** 2 + WEIGHT[1] ** 2)
    claim = Claim(
        "far_field_decay", "Responses are largest near x ≈ w and decay (fall) for distant inputs.", "seeds/000",
        f"The envelope M(r) = max ⵟ(w, x) over the circle ‖x − w‖ = r (3 600 points), seed formula (b = 0), "
        f"w = {WEIGHT}, ε = {EPSILON:g}, float64, at r/‖w‖ = {', '.join(f'{r:g}' for r in RADII)}, against the peak "
        "max ⵟ = ‖w‖⁴/ε + ‖w‖² (at x = (1 + ε/‖w‖²)w) and the far-field limit ‖w‖²cos²θ.",
        f"Supported if M(r) falls at every step outwards and is below {FALLEN:g} of the peak at r = {FAR:g}·‖w‖ "
        "(yatbench's reading of 'decay': a fall by orders of magnitude from the peak, not necessarily to 0 — the "
        "row far_field_vanish asks that); contradicted otherwise.",
        quotes=(QUOTE,), short="ⵟ falls with distance from w", runs=FORMULA_ONLY, kind="analytic",
        earned_by="the distance term (the denominator ‖w − x‖² + ε)")
    peak = yat_peak(WEIGHT)["true_max"]
    values = [envelope(WEIGHT, 0.0, r * norm) for r in RADII]
    falls = peak > values[0] and all(a > b for a, b in pairwise(values))
    ratio = values[-1] / peak
    claim.verdict = SUPPORTED if falls and ratio < FALLEN else CONTRADICTED
    claim.headline = f"max ⵟ at distance r falls from {peak:.3g} (peak) to {values[-1]:.4g} at r = {FAR:g}·‖w‖"
    claim.evidence = (f"peak {peak:.6g}; M(r) = " + ", ".join(f"{v:.4g} at {r:g}·‖w‖" for r, v in zip(RADII, values,
                                                                                                       strict=True))
                      + f": {'falls at every step' if falls else 'does not fall at every step'}, to {ratio:.2g} of "
                      f"the peak, towards ‖w‖² = {norm ** 2:g} (the limit ‖w‖²cos²θ along w), not to 0")
    claim.thresholds = " · ".join(f"{t:g}: {SUPPORTED if falls and ratio < t else CONTRADICTED}"
                                  for t in sorted({FALLEN, *FALL_NEIGHBOURS}))
    back = [far_value(WEIGHT, 0.0, 180.0, t) for t in (1.0, 10.0, FAR)]
    claim.notes.append("the fall holds for the envelope (the largest response at a distance), not along every ray: "
                       "along directions with w·x < 0 ⵟ rises with distance, from below, to the same limit "
                       f"(along −w: {back[0]:.3g} at ‖x‖ = ‖w‖, {back[1]:.3g} at 10·‖w‖, {back[2]:.5g} at "
                       f"{FAR:g}·‖w‖, limit {norm ** 2:g})")
    nmn = [envelope(WEIGHT, NMN_BIAS, r * norm) for r in (RADII[0], FAR)]
    claim.notes.append(f"with nmn's bias inside the square (b = {NMN_BIAS:g}, a variant, not the seed's formula): "
                       f"M = {nmn[0]:.4g} at {RADII[0]:g}·‖w‖ and {nmn[1]:.4g} at {FAR:g}·‖w‖ — the same fall, "
                       "the same limit")
    return [claim]


def far_field_vanish(ctx: Context) -> list[Claim]:
    """'decay for distant inputs' read as 'ⵟ tends to 0 far away': the limit ‖w‖²cos²θ, along each direction."""
    del ctx
    norm2 = WEIGHT[0] ** 2 + WEIGHT[1] ** 2
    claim = Claim(
        "far_field_vanish", "Responses vanish (tend to 0) for distant inputs — the reading 'decay to 0' of the "
        "seed's 'decay for distant inputs'.", "seeds/000 (the reading 'tends to 0' is yatbench's)",
        f"ⵟ(w, x) for w = {WEIGHT}, seed formula (b = 0), ε = {EPSILON:g}, float64, along directions at θ = "
        f"{', '.join(f'{a:g}°' for a in ANGLES)} from w, at ‖x‖ = 10·‖w‖, 100·‖w‖ and {FAR:g}·‖w‖; compared "
        "with the limit ‖w‖²·cos²θ that (t·w·u + b)²/(‖w − t·u‖² + ε) reaches as t → ∞ (‖u‖ = ‖w‖).",
        f"Supported if ⵟ at ‖x‖ = {FAR:g}·‖w‖ is below {DECAYED:g}·‖w‖² along every direction (the response "
        "vanishes far away, relative to the neuron's scale ‖w‖² off its peak); contradicted if it stays above that "
        "along some direction.",
        quotes=(QUOTE,), short="ⵟ vanishes for distant inputs", runs=FORMULA_ONLY, kind="analytic", earned_by="n/a")
    lines, worst = [], 0.0
    for degrees in ANGLES:
        values = [far_value(WEIGHT, 0.0, degrees, t) for t in (10.0, 100.0, FAR)]
        limit = 0.0 if degrees == 90 else norm2 * math.cos(math.radians(degrees)) ** 2
        worst = max(worst, values[-1] / norm2)
        lines.append(f"θ = {degrees:g}°: ⵟ = {values[0]:.4g}, {values[1]:.4g}, {values[2]:.5g} "
                     f"(limit ‖w‖²cos²θ = {limit:.5g})")
    claim.verdict = SUPPORTED if worst < DECAYED else CONTRADICTED
    claim.headline = (f"along w, ⵟ → ‖w‖² = {norm2:g} (at {FAR:g}·‖w‖: {far_value(WEIGHT, 0.0, 0.0, FAR):.5g}), "
                      "not 0")
    claim.evidence = ("; ".join(lines) + ". The limit ‖w‖²cos²θ is 0 only orthogonally to w: far away ⵟ tends to the "
                      "squared projection of w on the direction of x, whatever ε.")
    claim.thresholds = at_thresholds(worst, worst, tuple(sorted({DECAYED, *NEIGHBOURS})), above=False)
    nmn = far_value(WEIGHT, NMN_BIAS, 0.0, FAR)
    claim.notes.append(f"with nmn's bias inside the square (b = {NMN_BIAS:g}, a variant): the same limit for any b "
                       f"(along w at {FAR:g}·‖w‖: {nmn:.5g}); the inverse-distance term alone (kernel=distance) does "
                       "decay to 0")
    return [claim]


CLAIMS = [far_field_decay, far_field_vanish]
