"""Claims about the single-layer image classifier (seeds/002, seeds/000): one Yat neuron per class.

Each row is one configuration of the Yat prototype classifier (``model.hidden=[] model.readout=none``,
kernel yat) and the linear classifier trained in the same setting (same data, preprocessing and
training budget), on any image dataset — so the verdict is given under each preprocessing side by
side. The ablation kernels trained alike say which part of ⵟ earns the effect.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from yatbench.report.claims.base import (
    CONTRADICTED,
    MIN_SEEDS,
    NOT_ENOUGH,
    OWN,
    PREMISE_NOT_MET,
    SUPPORTED,
    SWEEP,
    Claim,
    Quote,
    ablation_text,
    at_thresholds,
    compare_means,
    ok,
    or_missing,
    runs_text,
    threshold,
    yat_kernel,
)
from yatbench.report.context import Context
from yatbench.report.measures import PLATEAU_WINDOW, EpochDiff, budgets, diff_by_epoch, late_change, prototype_geometry
from yatbench.report.stats import fmt_interval, summarize
from yatbench.report.tables import col

PROTOTYPE = {"model.hidden": "[]", "model.readout": "none"}
PROTOTYPE_CLASSIFIER = "the Yat prototype classifier (model.hidden=[] model.readout=none: one Yat neuron per class)"
ORTHOGONAL_COS = 0.1  # angles above ~84°
COS_NEIGHBOURS = (0.05, 0.2)


def prototype_arms(ctx: Context) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """(yat prototype configuration, linear configuration trained alike or empty) on image data."""
    runs = ctx.table.runs
    arms = []
    for yat in ctx.matching(None, "yat", **PROTOTYPE, **yat_kernel(runs.columns)):
        if ctx.table.facts(yat["run_id"].iloc[0]).image_shape is None:
            continue
        partners = ctx.partner(yat, "linear") or [runs.iloc[0:0]]
        arms += [(yat, linear) for linear in partners]
    return arms


def plateau_text(ctx: Context, arms: dict[str, pd.DataFrame]) -> str:
    """Is any side still improving at the end of training? Test accuracy over the last epochs, per arm."""
    parts = []
    for name, frame in arms.items():
        change = late_change(ctx, ok(frame)) if not frame.empty else None
        if change is not None:
            parts.append(f"{name if name in ('yat', 'linear') else name + ' alone'} {change.text()}")
    if not parts:
        return "learning curves: no per-epoch history recorded, so whether training had plateaued is not known"
    return (f"has training plateaued? Test accuracy over the last {PLATEAU_WINDOW} epochs (mean over seeds of the "
            "per-seed change, Student t 95% CI; 'still improving' when the CI lies above 0): " + "; ".join(parts))


VERDICT_OF_SIDE = {"above 0": SUPPORTED, "below 0": CONTRADICTED, "spans 0": f"{NOT_ENOUGH} (a tie)"}


def budget_text(ctx: Context, yat: pd.DataFrame, linear: pd.DataFrame) -> tuple[str, str]:
    """The verdict at several training budgets, read from the runs' history.csv, and — when it changes with
    the budget — which verdict holds at which budgets (else an empty string)."""
    by_epoch = {d.epoch: d for d in diff_by_epoch(ctx, ok(yat), ok(linear))}
    if not by_epoch:
        return "verdict by training budget: no per-epoch history recorded", ""
    chosen = [by_epoch[e] for e in budgets(list(by_epoch))]

    def verdict(d: EpochDiff) -> str:
        return VERDICT_OF_SIDE[d.side] if min(d.n) >= MIN_SEEDS else f"{NOT_ENOUGH} (fewer than {MIN_SEEDS} seeds)"
    parts = [f"epoch {d.epoch}: {d.diff:+.3f} {fmt_interval(d.lo, d.hi)} {verdict(d)}" for d in chosen]
    verdicts: dict[str, list[int]] = {}
    for d in chosen:
        verdicts.setdefault(verdict(d), []).append(d.epoch)
    hinges = ("the verdict depends on the training budget: " + "; ".join(
        f"{v} at epoch{'s' if len(e) > 1 else ''} {', '.join(map(str, e))}" for v, e in verdicts.items())
        if len(verdicts) > 1 else "")
    n = chosen[-1].n
    return (f"verdict by training budget (acc(yat) − acc(linear) at each epoch, read from the runs' history.csv, "
            f"Welch 95% CI, n = {n[0]}, {n[1]}): " + "; ".join(parts)
            + f" — {hinges or 'the same verdict at every budget read'}"), hinges


def _describe(metric: str, digits: int = 3) -> Callable[[pd.DataFrame], str]:
    return lambda frame: f"{summarize(col(ok(frame), metric)).fmt(digits)} (n = {len(ok(frame))})"


def _per_arm(ctx: Context, new: Callable[[], Claim], decide: Callable[[Claim, pd.DataFrame, pd.DataFrame], None],
             metric: tuple[str, str] | None) -> list[Claim]:
    """One claim per prototype arm; ``metric`` (column, words) also describes the ablation kernels run alike."""
    claims = []
    for yat, linear in prototype_arms(ctx):
        claim = new().about([yat, linear])
        claim.runs = f"{runs_text(yat, 'yat')}; {runs_text(linear, 'linear')}"
        decide(claim, yat, linear)
        controls = ctx.ablations(yat, "model.kernel")
        if metric and len(controls) > 1:
            text = ablation_text(controls, _describe(metric[0]))
            claim.notes.append(f"ablation kernels trained alike, {metric[1]}: {text}")
        claims.append(claim)
    return or_missing(claims, new, f"no runs of {PROTOTYPE_CLASSIFIER} on image data")


def prototypes_look_like_digits(ctx: Context) -> list[Claim]:
    def new() -> Claim:
        return Claim(
            "prototypes_digits",
            "The Yat classifier's neurons learn visible digit templates, where the linear classifier learns "
            "abstract directions.", "seeds/002",
            f"{PROTOTYPE_CLASSIFIER} vs the linear classifier trained alike: the mean over classes of |Pearson "
            "correlation| between weight row k and the mean training input of class k (prototype_class_abs_corr, "
            "recorded at run time). |·| because (w·x + b)² cannot tell a template from its negative.",
            "Supported if the Welch 95% CI of corr(yat) − corr(linear) lies above 0; contradicted if below 0.",
            quotes=(Quote("002", "Prototype Interpretability Abstract directions Visible digit templates"),),
            command=SWEEP["paper"], short="Yat prototypes look like digits (more than linear weights)")

    def decide(claim: Claim, yat: pd.DataFrame, linear: pd.DataFrame) -> None:
        a = col(ok(yat), "prototype_class_abs_corr").dropna().tolist()
        b = col(ok(linear), "prototype_class_abs_corr").dropna().tolist()
        compare_means(claim, a, b, ("yat", "linear"), "|corr|")
    return _per_arm(ctx, new, decide, ("prototype_class_abs_corr", "|corr|"))


DISJOINT_OVERLAP = 0.1  # the premise 'disjoint supports': mean support overlap below this
OVERLAP_NEIGHBOURS = (0.05, 0.2)


def orthogonality_verdict(claim: Claim, geometry: dict[int, dict[str, float]]) -> None:
    """Decide 'prototypes with disjoint supports become orthogonal' from per-seed geometry (``prototype_geometry``):
    first the premise (is the support overlap below ``DISJOINT_OVERLAP``?), then — only where it holds — the |cos|."""
    overlaps = [g["support_overlap"] for g in geometry.values()]
    premise = summarize(overlaps, bounded=True)
    premise_text = (f"premise — support overlap {premise.fmt(3)} (mean ± std, n = {premise.n}; 95% CI "
                    f"{premise.fmt_ci(3)}; 0 = disjoint supports, threshold {DISJOINT_OVERLAP:g})")
    if premise.n >= MIN_SEEDS and premise.lo >= DISJOINT_OVERLAP:
        # The seed's sentence is conditional; its condition does not hold here, so the |cos| says nothing about it.
        abs_cos = summarize([g["abs_cos"] for g in geometry.values()], bounded=True)
        claim.verdict = PREMISE_NOT_MET
        claim.seeds = premise.n
        claim.headline = f"support overlap {premise.mean:.2f}, 95% CI {premise.fmt_ci(2)}: supports are not disjoint"
        claim.evidence = (f"{premise_text}: the supports overlap, so the seed's condition 'disjoint support regions' "
                          f"is not met and the claim is not decided; for the record, yat mean |cos| = {abs_cos.fmt(3)}")
        claim.thresholds = "premise at overlap " + at_thresholds(premise.lo, premise.hi, tuple(sorted(
            {DISJOINT_OVERLAP, *OVERLAP_NEIGHBOURS})), above=False).replace(SUPPORTED, "met").replace(
            CONTRADICTED, "not met")
        return
    threshold(claim, [g["abs_cos"] for g in geometry.values()], ORTHOGONAL_COS, COS_NEIGHBOURS, above=False,
              name="yat mean |cos|", bounded=True)
    if premise.n >= MIN_SEEDS and premise.hi < DISJOINT_OVERLAP:
        claim.evidence += f"; {premise_text}: met"
    else:  # the premise is undetermined: so is the claim
        claim.verdict = NOT_ENOUGH
        claim.evidence += f"; {premise_text}: whether the supports are disjoint is not determined"


def prototypes_orthogonal(ctx: Context) -> list[Claim]:
    def new() -> Claim:
        return Claim(
            "prototypes_orthogonal",
            "Competing Yat prototypes with disjoint support regions become (near-)orthogonal.", "seeds/000",
            f"{PROTOTYPE_CLASSIFIER}: first the seed's premise, the support overlap of the trained prototypes "
            "(model.pt; per prototype, the fewest pixels holding 90% of its Σw²; overlap of a pair = "
            "|S_i ∩ S_j| / min(|S_i|, |S_j|), mean over pairs, per seed; 0 = disjoint); then the mean |cos| over the "
            "pairs of prototypes, per seed; for context the same |cos| at initialisation and for the linear "
            "classifier's rows.",
            f"The premise holds if the 95% CI (t, truncated to [0, 1]) of the mean support overlap lies below "
            f"{DISJOINT_OVERLAP:g} (yatbench's reading of 'disjoint'); if it lies at or above, the verdict is "
            f"'{PREMISE_NOT_MET}' with the measured overlap. Where it holds: supported if the 95% CI of the mean |cos| "
            f"lies below {ORTHOGONAL_COS}; contradicted if it lies at or above. {ORTHOGONAL_COS} is yatbench's choice "
            "(pairwise angles above ~84°; the seed gives no number): the verdicts at 0.05 and 0.2 are shown beside it.",
            quotes=(Quote("000", "When two prototypes develop disjoint support regions, they become orthogonal:"),),
            command=SWEEP["paper"], short="Yat prototypes become near-orthogonal")

    def decide(claim: Claim, yat: pd.DataFrame, linear: pd.DataFrame) -> None:
        geometry = prototype_geometry(ctx, ok(yat))
        orthogonality_verdict(claim, geometry)
        if geometry:
            start = summarize([g["init_abs_cos"] for g in geometry.values()], bounded=True)
            lin = summarize([g["abs_cos"] for g in prototype_geometry(ctx, ok(linear)).values()], bounded=True)
            claim.notes.append(f"|cos| at initialisation {start.fmt(3)}; linear classifier {lin.fmt(3)}")
    return _per_arm(ctx, new, decide, None)


def mnist_accuracy(ctx: Context) -> list[Claim]:
    def new() -> Claim:
        return Claim(
            "prototype_accuracy",
            "One Yat neuron per class classifies digits at least as well as the linear classifier of the same size "
            "(the paper behind seeds/002 reports 92.38 % vs 92.08 % on MNIST).",
            f"{OWN}; the figures are the paper's single-layer MNIST result",
            f"Test accuracy of {PROTOTYPE_CLASSIFIER} and of the linear classifier trained alike (same "
            "preprocessing, budget and optimiser), over seeds; one row per preprocessing.",
            "Supported if the Welch 95% CI of acc(yat) − acc(linear) lies above 0; contradicted if below 0; "
            "otherwise not enough data (a tie).",
            command=SWEEP["paper"], short="Yat prototypes classify digits better than linear")

    def decide(claim: Claim, yat: pd.DataFrame, linear: pd.DataFrame) -> None:
        compare_means(claim, col(ok(yat), "test_accuracy").tolist(), col(ok(linear), "test_accuracy").tolist(),
                      ("yat", "linear"), "test accuracy")
        facts = ctx.table.facts(yat["run_id"].iloc[0])
        claim.notes.append(f"preprocessing {facts.preprocess}; {facts.n_train} training / {facts.n_test} test "
                           f"images from {facts.source}")
        controls = {k: v for k, v in ctx.ablations(yat, "model.kernel").items() if k != "yat"}
        claim.notes.append(plateau_text(ctx, {"yat": yat, "linear": linear, **controls}))
        text, hinges = budget_text(ctx, yat, linear)
        claim.notes.append(text)
        if hinges and claim.seeds:
            claim.evidence += f"; {hinges}, so this verdict holds at this budget only"
    return _per_arm(ctx, new, decide, ("test_accuracy", "test accuracy"))


CLAIMS = [mnist_accuracy, prototypes_look_like_digits, prototypes_orthogonal]
