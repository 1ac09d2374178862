"""Inversion claims: does a model trained on clean digits read inverted ones?

- −x (sign inversion of the model's input) is the seed's test (seeds/002 writes ⵟ(w, −x)).
- w → −w is the same test by construction: ⵟ(−w, x) = ⵟ(w, −x) (the bias sits inside the square
  with the same sign in both), and for the linear classifier (−W)x = W(−x). It is reported once,
  as a check inside the −x claim, not as a second piece of evidence.
- 1 − x (negative images) is yatbench's own test, labelled so.
"""

from __future__ import annotations

import pandas as pd

from yatbench.report.claims.base import (
    OWN,
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


def inversion_robust(ctx: Context, key: str) -> list[Claim]:
    seed_test = key == "sign_inverted"
    name = "−x, sign inversion of the model's input" if seed_test else "1 − x, negative images"

    def new() -> Claim:
        return Claim(
            f"inversion_{key}",
            f"Yat neurons are robust to inverted inputs ({name}): inverted inputs get (nearly) the same response.",
            "seeds/002" if seed_test else f"{OWN}; the seed's sentence is about −x",
            f"retention = accuracy on {name} / clean accuracy, of a Yat configuration (kernel yat) trained on clean "
            "digits, over seeds; the linear classifier trained alike for contrast.",
            RULE, quotes=(SEED_QUOTE,), command=SWEEP["paper"],
            short=f"Yat is robust to {name.split(',')[0]} inversion")
    runs = ctx.table.runs
    metric = f"retention_{key}"
    claims = []
    for yat in ctx.matching(None, "yat", **yat_kernel(runs.columns)):
        if col(yat, metric).isna().all():
            continue
        linear = next(iter(ctx.partner(yat, "linear")), runs.iloc[0:0])
        claim = new().about([yat, linear])
        claim.runs = f"{runs_text(yat, 'yat')}; {runs_text(linear, 'linear')}"
        values = col(ok(yat), metric).tolist()
        threshold(claim, values, ROBUST_RETENTION, RETENTION_NEIGHBOURS, above=True, name="yat retention",
                  bounded=NONNEGATIVE)
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
    return or_missing(claims, new, "no Yat runs evaluated under inversion (dataset=inversion)")


CLAIMS = [lambda ctx: inversion_robust(ctx, "sign_inverted"), lambda ctx: inversion_robust(ctx, "pixel_inverted")]
