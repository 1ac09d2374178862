"""Claims about the formula itself, checked in float64 on :func:`yatbench.nn.yat.yat_reference`.

The seeds' formula has no bias: ⵟ(w, x) = (w·x)² / (‖w − x‖² + ε). Each claim is judged on it;
where nmn's default (bias b inside the square, which every Yat run here uses) changes the answer,
a second, clearly named row says so.
"""

from __future__ import annotations

from itertools import pairwise

from yatbench.report.claims.base import CONTRADICTED, SUPPORTED, Claim, Quote
from yatbench.report.context import Context
from yatbench.report.measures import TERRITORY_TAUS, territory_sharpness, yat_at, yat_peak

FORMULA_ONLY = "formula only (yatbench.nn.yat.yat_reference), no runs"
ZERO_QUOTES = (Quote("000", "$\\text{ⵟ}(\\mathbf{w}, \\mathbf{x}) = 0$ if and only if "
                            "$\\mathbf{w} \\perp \\mathbf{x}$."),
               Quote("004", "the lower bound of the yat-product is 0, and it is achieved only when two vectors are "
                            "orthogonal and away"))


def yat_bound(ctx: Context) -> list[Claim]:
    del ctx
    claim = Claim(
        "yat_bound", "For fixed w: 0 ≤ ⵟ(w, x) ≤ ‖w‖⁴/ε (each neuron has a bounded activation landscape).",
        "seeds/000",
        "The maximum of ⵟ(w, ·) with the seed's formula (b = 0), ε = 10⁻⁵, in float64 at x* = (1 + ε/‖w‖²)·w and "
        "on a 201×201 grid of ±5√ε around it, for w = (1, 1) and w = (0.3, −0.2, 0.5).",
        "Contradicted if the measured maximum exceeds ‖w‖⁴/ε by more than 10⁻⁹ relative (float64 rounding); "
        "supported otherwise.",
        quotes=(Quote("000", "For fixed $\\mathbf{w}$: $0 \\le \\text{ⵟ}(\\mathbf{w}, \\mathbf{x}) \\le "
                             "\\|\\mathbf{w}\\|^4/\\epsilon$."),),
        short="ⵟ ≤ ‖w‖⁴/ε", runs=FORMULA_ONLY)
    lines, exceeded = [], False
    for w in ((1.0, 1.0), (0.3, -0.2, 0.5)):
        peak = yat_peak(w)
        measured = max(peak["at_x_star"], peak["grid_max"])
        exceeded |= measured > peak["seed_bound"] * (1 + 1e-9)
        lines.append(f"w = {w}: max ⵟ = {measured:.6f}, ‖w‖⁴/ε = {peak['seed_bound']:.6f}, "
                     f"‖w‖⁴/ε + ‖w‖² = {peak['design_bound']:.6f}")
    claim.verdict = CONTRADICTED if exceeded else SUPPORTED
    claim.headline = "max ⵟ = ‖w‖⁴/ε + ‖w‖² (float64)" if exceeded else "max ⵟ ≤ ‖w‖⁴/ε"
    low = ". The landscape is bounded, but the stated bound is slightly low: the maximum is ‖w‖⁴/ε + ‖w‖²."
    claim.evidence = "; ".join(lines) + (low if exceeded else "")
    return [claim]


def yat_zero_set(ctx: Context) -> list[Claim]:
    """The seed's formula (b = 0): ⵟ = 0 iff w·x = 0; and nmn's biased variant, named as such."""
    del ctx
    w = (1.0, 1.0)
    seed_rule = ("Contradicted if ⵟ ≠ 0 at an orthogonal x or ⵟ = 0 at a non-orthogonal x (float64); "
                 "supported otherwise.")
    bare = Claim(
        "yat_zero_set", "ⵟ(w, x) = 0 if and only if w ⊥ x (its lower bound 0 is reached only for orthogonal vectors).",
        "seeds/000; seeds/004",
        "ⵟ with the seed's formula (w·x)²/(‖w − x‖² + ε), no bias, for w = (1, 1): at x = (1, −1) ⊥ w, at "
        "x = (−0.25, −0.25) and x = (0.5, 0.1) (not orthogonal), float64.", seed_rule,
        quotes=ZERO_QUOTES, short="ⵟ = 0 iff w ⊥ x (seed formula, no bias)", runs=FORMULA_ONLY)
    ortho, others = yat_at(w, 0.0, (1.0, -1.0)), [yat_at(w, 0.0, x) for x in ((-0.25, -0.25), (0.5, 0.1))]
    bare.verdict = CONTRADICTED if ortho != 0 or min(others) == 0 else SUPPORTED
    bare.headline = f"b = 0: ⵟ(w, x ⊥ w) = {ortho:.3g}, ⵟ > 0 elsewhere"
    bare.evidence = (f"ⵟ(w, x ⊥ w) = {ortho:.3g}; at the non-orthogonal points ⵟ = "
                     f"{', '.join(f'{v:.3g}' for v in others)}. Holds exactly for the seed's bias-free formula.")
    biased = Claim(
        "yat_zero_set_nmn_bias",
        "Variant with nmn's default bias inside the square, (w·x + b)²/(‖w − x‖² + ε): ⵟ = 0 iff w ⊥ x.",
        "seeds/000; seeds/004 (the bias is nmn's, not the seeds')",
        "The same check with b = 0.5 (every Yat run here uses bias: inside): at x ⊥ w, and at x with w·x = −b.",
        seed_rule, quotes=ZERO_QUOTES, short="ⵟ = 0 iff w ⊥ x, with nmn's bias", runs=FORMULA_ONLY, kind="variant")
    b = 0.5
    ortho_b, shifted = yat_at(w, b, (1.0, -1.0)), yat_at(w, b, (-0.25, -0.25))
    biased.verdict = CONTRADICTED if (ortho_b != 0 or shifted == 0) else SUPPORTED
    biased.headline = f"b = 0.5: ⵟ(w, x ⊥ w) = {ortho_b:.3g}; zero set is w·x + b = 0"
    biased.evidence = (f"ⵟ(w, x ⊥ w) = {ortho_b:.4g} ≠ 0, while ⵟ(w, (−0.25, −0.25)) = {shifted:.3g} although "
                       "w·x = −0.5 ≠ 0: with a bias the zero set is the hyperplane w·x + b = 0.")
    return [bare, biased]


def territories_sharpen(ctx: Context) -> list[Claim]:
    del ctx
    claim = Claim(
        "territories_tau",
        "With softmax over ⵟ scores, τ → 0 gives hard territorial assignment and large τ a uniform, "
        "competition-free mixture.", "seeds/000",
        "Mean over the plane [−3, 3]² of the winning neuron's probability max_i softmax(ⵟ(w_i, x)/τ)_i for the "
        "four neurons of the territories figure (seed formula, b = 0), at τ = 0.1, 1, 10.",
        "Supported if it decreases strictly with τ, from ≥ 0.95 at τ = 0.1 (yatbench's reading of 'hard'); "
        "contradicted otherwise.",
        quotes=(Quote("000", "$\\tau \\to 0$: Hard assignment (argmax) → sharp territorial boundaries"),
                Quote("000", "$\\tau \\to \\infty$: Uniform distribution → no competition")),
        short="low τ → hard softmax territories", runs="formula only, no runs")
    sharp = territory_sharpness()
    values = [sharp[t] for t in TERRITORY_TAUS]
    strictly = all(a > b for a, b in pairwise(values))
    claim.verdict = SUPPORTED if strictly and values[0] >= 0.95 else CONTRADICTED
    claim.headline = "mean max P: " + ", ".join(f"{v:.2f}" for v in values) + " at τ = 0.1, 1, 10"
    claim.evidence = ", ".join(f"τ = {t:g}: {v:.3f}" for t, v in zip(TERRITORY_TAUS, values, strict=True)) + \
        " (uniform over 4 neurons would be 0.25)"
    claim.thresholds = " · ".join(f"{t:g}: {SUPPORTED if strictly and values[0] >= t else CONTRADICTED}"
                                  for t in (0.9, 0.95, 0.99))
    return [claim]


CLAIMS = [yat_bound, yat_zero_set, territories_sharpen]
