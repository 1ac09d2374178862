"""Inversion claims: does a model trained on clean digits read inverted ones?

- −x (sign inversion of the model's input) is the seed's test (seeds/002 writes ⵟ(w, −x)).
- The seed's formula has no bias: ⵟ(w, −x) = (−w·x)²/(‖w + x‖² + ε), so the numerator is even in x
  and only the distance changes. The main row is that formula (``model.bias=none``); nmn's default
  bias inside the square, (w·x + b)², is odd-breaking on its own (b ≠ 0 makes the numerator change
  under −x), so its rows are a variant (``kind="variant"``), shown and kept out of the tally.
- w → −w is the same test by construction: ⵟ(−w, x) = ⵟ(w, −x) (with a bias it sits inside the
  square with the same sign in both), and for the linear classifier (−W)x = W(−x). It is reported
  once, as a check inside the −x claim, not as a second piece of evidence.
- 1 − x (negative images) is yatbench's own test, labelled so.
"""

from __future__ import annotations

import pandas as pd

from yatbench.report.claims.base import (
    OWN,
    SUPPORTED,
    SWEEP,
    Claim,
    Quote,
    ok,
    or_missing,
    runs_text,
    threshold,
    yat_kernel,
)
from yatbench.report.context import Context
from yatbench.report.stats import NONNEGATIVE, fmt_interval, summarize, welch_diff
from yatbench.report.tables import col

ROBUST_RETENTION = 0.9
RETENTION_NEIGHBOURS = (0.8, 0.95)
SEED_QUOTE = Quote("002", "the squared dot product $(w \\cdot x)^2$ means that inverted inputs get the same response "
                          "as originals")
RULE = (f"Supported if the 95% CI of yat's mean retention lies at or above {ROBUST_RETENTION}; contradicted if below. "
        f"{ROBUST_RETENTION} is yatbench's choice (the seed says 'the same response', i.e. retention 1, and writes "
        "≈): the verdicts at 0.8 and 0.95 are shown beside it.")


def identical_check(frame: pd.DataFrame) -> str:
    """How many runs gave w → −w exactly the −x accuracy (they must: the same computation)."""
    a, b = col(ok(frame), "weight_negated_accuracy"), col(ok(frame), "sign_inverted_accuracy")
    both = a.notna() & b.notna()
    same = int(((a - b).abs() < 1e-9)[both].sum())
    return f"w → −w gave exactly the −x accuracy in {same} of {int(both.sum())} runs (identical by construction)"


def bias_mode(frame: pd.DataFrame) -> str:
    """The Yat configuration's ``model.bias`` (runs that predate the option had nmn's default, inside)."""
    values = col(frame, "model.bias").dropna() if "model.bias" in frame.columns else pd.Series(dtype=object)
    return str(values.iloc[0]) if len(values) else "inside"


def inversion_robust(ctx: Context, key: str) -> list[Claim]:
    seed_test = key == "sign_inverted"
    name = "−x, sign inversion of the model's input" if seed_test else "1 − x, negative images"

    def new(bias: str = "none") -> Claim:
        seed_formula = bias == "none"
        formula = ("the seed's bias-free formula (w·x)²/(‖w − x‖² + ε), model.bias=none" if seed_formula else
                   f"nmn's variant with the bias {bias} (model.bias={bias}), not the seed's formula")
        return Claim(
            f"inversion_{key}",  # one key, a row per configuration: kind tells the seed's formula from nmn's
            f"Yat neurons are robust to inverted inputs ({name}): inverted inputs get (nearly) the same response"
            + ("." if seed_formula else f" — variant: {formula}."),
            ("seeds/002" if seed_test else f"{OWN}; the seed's sentence is about −x")
            + ("" if seed_formula else " (the bias is nmn's, not the seed's)"),
            f"retention = accuracy on {name} / clean accuracy, of a Yat configuration (kernel yat, {formula}) trained "
            "on clean digits, over seeds; the linear classifier trained alike for contrast.",
            RULE, quotes=(SEED_QUOTE,), command=SWEEP["paper"],
            short=f"Yat is robust to {name.split(',')[0]} inversion" + ("" if seed_formula else f" (nmn bias {bias})"),
            kind="seed" if seed_formula else "variant", counts_in_tally=seed_formula, earned_by="n/a")
    runs = ctx.table.runs
    metric = f"retention_{key}"
    claims = []
    for yat in ctx.matching(None, "yat", **yat_kernel(runs.columns)):
        if col(yat, metric).isna().all():
            continue
        linear = next(iter(ctx.partner(yat, "linear")), runs.iloc[0:0])
        claim = new(bias_mode(yat)).about([yat, linear])
        claim.runs = f"{runs_text(yat, 'yat')}; {runs_text(linear, 'linear')}"
        values = col(ok(yat), metric).tolist()
        threshold(claim, values, ROBUST_RETENTION, RETENTION_NEIGHBOURS, above=True, name="yat retention",
                  bounded=NONNEGATIVE)
        if claim.kind == "seed":  # without a bias the numerator is even in x: only the distance term can cost
            claim.earned_by = "the square (w·x)², even in x" if claim.verdict == SUPPORTED else "n/a"
        lin_values = col(ok(linear), metric).tolist()
        lin = summarize(lin_values, bounded=NONNEGATIVE)
        if lin.n:
            diff, lo, hi = welch_diff(values, lin_values)
            claim.evidence += (f"; linear retention {lin.fmt(3)}, yat − linear {diff:+.3f} "
                               f"(Welch 95% CI {fmt_interval(lo, hi, 3)})")
        if seed_test:
            claim.notes.append(f"yat: {identical_check(yat)}" + (f"; linear: {identical_check(linear)}"
                                                                  if not linear.empty else ""))
        controls = ctx.ablations(yat, "model.kernel")
        for kernel in ("square", "distance"):
            if kernel in controls:
                s = summarize(col(ok(controls[kernel]), metric), bounded=NONNEGATIVE)
                claim.notes.append(f"kernel {kernel} trained alike: retention {s.fmt(3)} (n = {s.n})")
        claims.append(claim)
    if claims and not any(c.kind == "seed" for c in claims):
        # Only nmn's biased variant was run: the seed's own formula still gets its row, asking for its runs.
        main = new()
        main.evidence = (f"no runs of the seed's bias-free formula (model.bias=none) evaluated under inversion; "
                         f"the rows below are nmn's biased variant — `{SWEEP['paper']}` runs both")
        claims.insert(0, main)
    claims.sort(key=lambda c: c.kind != "seed")  # the seed's formula first, variants after (stable)
    return or_missing(claims, new, "no Yat runs evaluated under inversion (dataset=inversion)")


CLAIMS = [lambda ctx: inversion_robust(ctx, "sign_inverted"), lambda ctx: inversion_robust(ctx, "pixel_inverted")]
