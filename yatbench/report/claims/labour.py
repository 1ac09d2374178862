"""Division of labour (seeds/001): does the attention gate hand each law to its own linear expert?

Decided from what the runs recorded at run time (:mod:`yatbench.measures.labour`), on the model as training
left it (with early stopping: at its best validation evaluation):

- ``labour_gate_nmi``: ``unit_nmi``, the normalised mutual information between the gate's argmax
  expert and the law (slope band k) that made each test sample; the same NMI of the Yat and ReLU
  nets' first hidden layer, trained alike, is quoted beside it.
- ``labour_expert_slopes``: ``band_slope_*``, the trained model's own slope ∂ŷ/∂x per band (autograd
  at the band's test points, averaged), against the band's true slope a_k — measured alike for the
  attention model and for its baselines trained in the same setting (Yat, ReLU), and judged against
  them: the laws must be recovered, and recovered better than by a model without experts.

Any configuration of the attention model whose runs recorded the measure is decided on its own. The
budget is not decided here: each row names its runs (``Claim.run_ids``), from which the report tells
whether they converged and whether the verdict holds at half the budget.
"""

from __future__ import annotations

import pandas as pd

from yatbench.measures.labour import SLOPE_TOLERANCE
from yatbench.report.claims.base import (
    CONTRADICTED,
    MIN_SEEDS,
    NOT_ENOUGH,
    SUPPORTED,
    SWEEP,
    Claim,
    Quote,
    ok,
    runs_text,
    threshold,
)
from yatbench.report.context import Context
from yatbench.report.stats import fmt_interval, summarize
from yatbench.report.tables import col

NMI = 0.5  # the gate's choice carries at least half of the band's information
NMI_NEIGHBOURS = (0.3, 0.7)
RECOVERED = 0.8  # 4 of 5 bands
RECOVERED_NEIGHBOURS = (0.6, 1.0)
BASELINES = ("yat", "relu")  # models without experts, trained alike: what the division of labour is judged against
QUOTE = Quote("001", "This creates a \"division of labor\" and lets the linear functions stay as-is while the "
                     "attention layer toggles between them using the higher-order variable y")


def labour_arms(ctx: Context, metric: str) -> list[pd.DataFrame]:
    """Configurations of the attention model whose finished runs recorded ``metric``."""
    return [f for f in ctx.matching(None, "attention") if col(ok(f), metric).notna().any()]


def run_ids(*frames: pd.DataFrame) -> list[str]:
    """The finished runs behind a row, in the order of the frames."""
    return [str(r) for f in frames if not f.empty for r in ok(f)["run_id"]]


def paired(a: pd.DataFrame, b: pd.DataFrame, metric: str) -> list[float]:
    """Per seed that both configurations finished and recorded ``metric``: a's value − b's (same data seed)."""
    left = ok(a).assign(value=col(ok(a), metric))[["seed", "value"]].dropna()
    right = ok(b).assign(value=col(ok(b), metric))[["seed", "value"]].dropna()
    both = left.merge(right, on="seed", suffixes=("_a", "_b"))
    return (both["value_a"] - both["value_b"]).tolist()


def _units_beside(ctx: Context, frame: pd.DataFrame) -> str:
    parts = []
    for model in BASELINES:
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
            "(unit_nmi, recorded at run time on the trained model — with early stopping, at its best validation "
            "evaluation), per seed.",
            f"Supported if the 95% CI of the mean NMI lies ≥ {NMI} (yatbench's choice: the gate's choice carries at "
            f"least half of the band's information); contradicted if it lies below {NMI}. The NMI grows with the "
            "budget (measured, 5 seeds: 0.40 after 1 000 full-batch Adam steps, 0.69 after 20 000), so the verdict "
            "is read where the runs converged.",
            quotes=(QUOTE,), command=SWEEP["default"], short="the gate divides the labour by band (NMI)")
    claims = []
    for frame in labour_arms(ctx, "unit_nmi"):
        claim = new().about([frame])
        claim.runs = runs_text(frame, "attention")
        claim.run_ids = run_ids(frame)
        threshold(claim, col(ok(frame), "unit_nmi").tolist(), NMI, NMI_NEIGHBOURS, True, "gate–band NMI",
                  bounded=True)
        claim.notes.append("the same measure for other models trained alike: " + _units_beside(ctx, frame))
        claims.append(claim)
    return claims or _missing(new)


def _slopes_text(frame: pd.DataFrame) -> str:
    """Mean over seeds of each band's measured slope, ``−1.80, −0.96, …``."""
    columns = sorted((c for c in frame.columns if c.startswith("band_slope_") and c[11:].isdigit()),
                     key=lambda c: int(c[11:]))
    means = [col(ok(frame), c).mean() for c in columns]
    return ", ".join(f"{m:.2f}" for m in means if m == m)


def _against(claim: Claim, frame: pd.DataFrame, baselines: list[pd.DataFrame]) -> tuple[list[str], list[str]]:
    """Paired (per seed) slope error attention − baseline for each baseline: (better than, as good as) names."""
    better, as_good = [], []
    for other in baselines:
        name = f"{other['model'].iloc[0]} ({other['variant_label'].iloc[0] or 'default'})"
        diffs = paired(frame, other, "band_slope_error")
        mine = summarize(col(ok(other), "band_slope_error"))
        share = summarize(col(ok(other), "band_slope_recovered"), bounded=True)
        text = (f"{name}, {int(other['params'].median())} params: slope error {mine.fmt(3)}, bands recovered "
                f"{share.fmt(2)} (n = {mine.n})")
        d = summarize(diffs)
        if d.n >= MIN_SEEDS:
            text += (f"; attention − {other['model'].iloc[0]} paired over {d.n} seeds {d.mean:+.3f}, 95% CI "
                     f"{fmt_interval(d.lo, d.hi, 3)}")
            if d.hi < 0:
                better.append(name)
            elif d.lo >= 0:
                as_good.append(name)
        else:
            text += f"; {d.n} seeds paired with attention, needs ≥ {MIN_SEEDS}"
        claim.notes.append("baseline " + text)
    return better, as_good


def expert_slopes(ctx: Context) -> list[Claim]:
    def new() -> Claim:
        return Claim(
            "labour_expert_slopes",
            "With the gate toggling between them, the linear experts stay as-is: on each band the attention model "
            "follows that band's linear law z = a_k·x, which a model without experts, trained alike, does not "
            "match.", "seeds/001",
            "Per seed and band k, the trained model's slope ∂ŷ/∂x by autograd at the band's test points, averaged "
            f"(band_slope_k); a band is recovered when it is within {SLOPE_TOLERANCE:.0%} of a_k "
            "(band_slope_recovered: the share of bands; band_slope_error: the mean relative error). Measured alike "
            f"for the Yat and ReLU nets trained in the same setting; the dominant expert's own x-weight beside it.",
            f"Supported if the 95% CI of the attention model's mean share lies ≥ {RECOVERED} (4 of 5 bands) and, "
            "against every Yat / ReLU configuration trained alike, the paired (same seed) difference in slope error "
            f"has its 95% CI below 0. Contradicted if the share's CI lies below {RECOVERED}, or a baseline's slope "
            "error is as low or lower (the paired CI lies at or above 0). Otherwise not enough data; no verdict "
            "without a baseline trained alike.", quotes=(QUOTE,), command=SWEEP["default"],
            short="each expert recovers its band's slope")
    claims = []
    for frame in labour_arms(ctx, "band_slope_recovered"):
        claim = new().about([frame])
        baselines = [o for m in BASELINES for o in ctx.partner(frame, m)
                     if col(ok(o), "band_slope_error").notna().any()]
        claim.runs = "; ".join([runs_text(frame, "attention"),
                                *(runs_text(o, str(o["model"].iloc[0])) for o in baselines)])
        claim.run_ids = run_ids(frame, *baselines)
        threshold(claim, col(ok(frame), "band_slope_recovered").tolist(), RECOVERED, RECOVERED_NEIGHBOURS, True,
                  "share of bands whose ∂ŷ/∂x is recovered", bounded=True)
        alone = claim.verdict
        error = summarize(col(ok(frame), "band_slope_error"))
        laws = str(frame["dataset.slopes"].iloc[0]) if "dataset.slopes" in frame else "n/a"
        if "dataset.standardize" in frame and str(frame["dataset.standardize"].iloc[0]).lower() == "true":
            laws += " per raw unit of x (× std(x) along the standardised x the model sees)"
        claim.notes.append(f"attention's measured ∂ŷ/∂x per band (mean over seeds): {_slopes_text(frame)}; slopes "
                           f"of the laws: {laws}; mean relative slope error {error.fmt(3)} (n = {error.n})")
        experts = summarize(col(ok(frame), "expert_slope_recovered"), bounded=True)
        if experts.n:
            claim.notes.append(f"the dominant expert's own x-weight (the experts also see y, the gate also sees x) "
                               f"recovers {experts.fmt(2)} of the bands (n = {experts.n})")
        better, as_good = _against(claim, frame, baselines)
        if alone == NOT_ENOUGH and claim.seeds < MIN_SEEDS:
            claims.append(claim)
            continue
        if not baselines:
            claim.verdict = NOT_ENOUGH
            claim.evidence += "; no Yat or ReLU runs trained alike recorded band slopes: no baseline to judge against"
        elif alone == CONTRADICTED or as_good:
            claim.verdict = CONTRADICTED
            if as_good:
                claim.evidence += f"; as low a slope error or lower without experts: {', '.join(as_good)}"
                claim.earned_by = "none (baseline wins)"
        elif alone == SUPPORTED and len(better) == len(baselines):
            claim.verdict = SUPPORTED
            claim.evidence += f"; lower slope error than every baseline trained alike ({', '.join(better)})"
        else:
            claim.verdict = NOT_ENOUGH
            claim.evidence += "; not clearly ahead of every baseline trained alike" if alone == SUPPORTED else ""
        claim.headline += f"; slope error {error.mean:.3f}" + (f" vs {', '.join(as_good)} as low" if as_good else "")
        claims.append(claim)
    return claims or _missing(new)


CLAIMS = [gate_nmi, expert_slopes]
