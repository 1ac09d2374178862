"""Physics-informed networks (seeds/004): does a Yat PINN beat the standard tanh PINN on PDEs?

Decided per PDE problem and per model size: each Yat configuration against each tanh configuration
trained in the same setting (same problem, collocation, loss weights and optimiser budget) whose
parameter count is within 5%. The problems are found by the task their runs recorded (``pde``),
never by dataset name, and scored by the recorded headline metric (the relative L2 error of u).

Relative L2 errors span orders of magnitude (1e-4 for a converged 1-D Poisson fit, ~1 for a
failure), so means and intervals are taken on log10(error): a difference of 0.3 is a factor 2.

Two kinds of row. The seed's rows compare the untuned configurations (Yat at nmn's ε, tanh at the problem's
trainer defaults). The *tuned* rows (``kind = "tuned"``, out of the tally) give both arms equal effort: each
arm's trials are its configurations that differ in one config key only (Yat's ε, tanh's learning rate: found
from the runs, :func:`trial_families`), and each arm's trial is chosen by the median over seeds of the
validation physics loss (``val_loss``: the residual + boundary loss at validation collocation points, never
the exact solution or the test error, :func:`choose`). The row names every trial, its validation loss, the
chosen one and the number of trials per arm.
"""

from __future__ import annotations

import math

import pandas as pd

from yatbench.report.claims.base import (
    CONTRADICTED,
    MIN_SEEDS,
    NOT_ENOUGH,
    SUPPORTED,
    Claim,
    Quote,
    at_thresholds,
    or_missing,
    runs_text,
)
from yatbench.report.context import Context
from yatbench.report.load import config_columns, show_value
from yatbench.report.stats import fmt_interval, summarize, welch_diff
from yatbench.report.tables import col

SEED_QUOTE = Quote("004", "this kernel i introduced works better then the neurons followed with a tanh to solve "
                          "different PDEs")
MATCHED = 0.05  # parameter counts within 5% are one budget (DESIGN §3)
NMN_EPSILON = 1e-5  # the Yat layer's default ε (nmn's): the configuration with no Yat-only tuning
# The seed says "works better" with no factor, so the threshold is 0 on log10(error): any reliable gain.
# Neighbours: Yat no more than 2× worse (−0.301), at least 2× better (+0.301), at least 10× better (+1).
THRESHOLD = 0.0
NEIGHBOURS = (-math.log10(2), math.log10(2), 1.0)
SWEEP_COMMAND = "yatbench sweep pinn"
TUNED_COMMAND = "yatbench sweep pinn_tuned"
SELECTION = "val_loss"  # the validation physics loss (yatbench/data/pde.py): what tuning selects on
RULE = (f"Per problem and size, d = mean log10(rel L2 of tanh) − mean log10(rel L2 of yat) over seeds, with Welch's "
        f"95% CI. Supported if the CI lies above {THRESHOLD:g} (Yat's error reliably lower: the seed says 'better' "
        f"with no factor); contradicted if it lies below {THRESHOLD:g}; otherwise not enough data. A diverged run "
        "counts as rel L2 = 1 (the error of predicting u ≡ 0), so divergence is not dropped in either arm's favour. "
        f"At least {MIN_SEEDS} seeds each. Neighbouring thresholds: −0.301 (Yat at most 2× worse), +0.301 "
        "(Yat ≥ 2× better), +1 (Yat ≥ 10× better).")


def pde_datasets(ctx: Context) -> list[str]:
    """Datasets whose runs recorded the ``pde`` task."""
    runs = ctx.table.runs
    if runs.empty:
        return []
    return list(dict.fromkeys(runs.loc[runs["task"] == "pde", "dataset"]))


def log_errors(frame: pd.DataFrame) -> list[float]:
    """log10 of each run's headline error (diverged runs count as 1, i.e. 0 on this scale)."""
    metric = f"test_{frame['metric'].iloc[0]}" if "metric" in frame.columns else "test_rel_l2"
    out = []
    for status, value in zip(frame["status"], col(frame, metric), strict=True):
        if status != "ok":
            out.append(0.0)
        elif value is not None and math.isfinite(float(value)) and float(value) > 0:
            out.append(math.log10(float(value)))
    return out


def epsilon_of(frame: pd.DataFrame) -> float | str:
    """The configuration's ε: a number, or ``"learnable"`` (learned per layer from nmn's 1e-5)."""
    value = frame["model.epsilon"].iloc[0] if "model.epsilon" in frame.columns else NMN_EPSILON
    if isinstance(value, str) and value.strip().lower() == "learnable":
        return "learnable"
    return float(value) if value is not None and not pd.isna(value) else NMN_EPSILON


def epsilon_text(frame: pd.DataFrame) -> str:
    """``1e-05``, ``0.1`` or ``learnable``: how a row names its ε."""
    value = epsilon_of(frame)
    return value if isinstance(value, str) else f"{value:g}"


def tuned_epsilon(frame: pd.DataFrame) -> bool:
    """ε chosen by a probe on Yat alone (a number other than nmn's default). A learned ε starts at the
    default and is learned by every seed's own training: not a probe."""
    value = epsilon_of(frame)
    return not isinstance(value, str) and not math.isclose(value, NMN_EPSILON)


def _matched(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    pa, pb = a["params"].median(), b["params"].median()
    return abs(pa - pb) <= MATCHED * max(pa, pb)


def _new(dataset: str, tuned: bool) -> Claim:
    note = (" — Yat with ε tuned by a Yat-only probe (tanh got no tuning): not a fair comparison by construction"
            if tuned else "")
    return Claim(
        "pde_yat_vs_tanh",
        "A Yat network (no activation) solves PDEs better than the standard tanh PINN at the same parameter count"
        + note + ".",
        "seeds/004",
        f"Relative L2 error of u on the {dataset} test grid (vs the exact or reference solution) of a yat and a tanh "
        "PINN trained alike (same collocation points per seed, loss, Adam/L-BFGS budget, no tuning for either) "
        "whose parameter counts are within 5%, compared on log10(error) over seeds.",
        RULE, quotes=(SEED_QUOTE,), command=SWEEP_COMMAND,
        short=f"Yat beats tanh on PDEs (seed 004){' [ε tuned on Yat]' if tuned else ''}",
        kind="tuned" if tuned else "seed")  # a tuned row is shown, labelled, and kept out of the tally


def decide(claim: Claim, yat: pd.DataFrame, tanh: pd.DataFrame) -> None:
    """Fill ``claim``'s verdict from the two configurations' log10 errors."""
    ly, lt = log_errors(yat), log_errors(tanh)
    sy, st = summarize(ly), summarize(lt)
    claim.runs = f"{runs_text(yat, 'yat')}; {runs_text(tanh, 'tanh')}"
    median = {name: 10 ** float(pd.Series(v).median()) if v else math.nan for name, v in (("yat", ly), ("tanh", lt))}
    spread = (f"yat: median rel L2 {median['yat']:.3g}, log10 {sy.fmt(2)} (n = {sy.n}); tanh: median rel L2 "
              f"{median['tanh']:.3g}, log10 {st.fmt(2)} (n = {st.n})")
    if sy.n < MIN_SEEDS or st.n < MIN_SEEDS:
        claim.verdict, claim.evidence = NOT_ENOUGH, f"{spread}; needs ≥ {MIN_SEEDS} seeds each"
        return
    claim.seeds = min(sy.n, st.n)
    diff, lo, hi = welch_diff(lt, ly)
    claim.verdict = SUPPORTED if lo > THRESHOLD else CONTRADICTED if hi < THRESHOLD else NOT_ENOUGH
    claim.thresholds = at_thresholds(lo, hi, tuple(sorted({THRESHOLD, *NEIGHBOURS})), above=True)
    claim.headline = (f"log10 error tanh − yat = {diff:+.2f} (×{10 ** diff:.3g}), 95% CI {fmt_interval(lo, hi, 2)}")
    claim.evidence = f"{spread}; {claim.headline} (Welch)"


def yat_vs_tanh(ctx: Context) -> list[Claim]:
    """One row per (PDE problem, untuned Yat configuration, matched tanh configuration in the same setting).

    A Yat configuration with an ε other than nmn's is a tuning trial: it is read in :func:`tuned_rows`, where
    tanh gets as many trials, not here against an untuned tanh. A learned ε (nmn's parametrisation) is a
    variant row, shown but out of the tally."""
    claims = []
    for dataset in pde_datasets(ctx):
        for yat in ctx.matching(dataset, "yat"):
            if tuned_epsilon(yat):
                continue
            for tanh in ctx.partner(yat, "tanh"):
                if not _matched(yat, tanh):
                    continue
                claim = _new(dataset, False).about(
                    [yat, tanh], label=f"{dataset}, {int(yat['params'].median())} vs {int(tanh['params'].median())} "
                                       f"params, yat ε = {epsilon_text(yat)}")
                decide(claim, yat, tanh)
                if epsilon_of(yat) == "learnable":
                    claim.kind = "variant"
                    claim.notes.append("ε learned per layer (nmn's parametrisation): a variant, not the seed's ⵟ")
                claims.append(claim)
    return or_missing(claims, lambda: _new("PDE", False),
                      "needs yat and tanh runs on a PDE problem, trained alike, within 5% in parameters")


def trial_families(ctx: Context, dataset: str, model: str) -> list[tuple[str, dict[str, pd.DataFrame]]]:
    """The tuning trials of ``model`` on ``dataset``: each (key, {value: configuration}) is a set of at least two
    configurations equal in every config key but ``key``, of the same size (parameter counts within 5%: another
    size is another budget, not a trial), finished and diverged runs alike."""
    configs = ctx.matching(dataset, model)
    columns = [c for c in config_columns(ctx.table.runs)
               if len({show_value(f[c].iloc[0]) for f in configs if c in f.columns}) > 1]
    found: dict[tuple[str, frozenset[str]], dict[str, pd.DataFrame]] = {}
    for key in columns:
        for like in configs:
            family = ctx.ablations(like, key)
            sizes = [f["params"].median() for f in family.values()]
            if len(family) >= 2 and max(sizes) <= (1 + MATCHED) * min(sizes):  # other sizes are not trials
                found.setdefault((key, frozenset(str(f["variant"].iloc[0]) for f in family.values())), family)
    return [(key, family) for (key, _), family in found.items()]


def validation_score(frame: pd.DataFrame) -> float:
    """The median over seeds of the validation physics loss at each run's best epoch; a diverged run or one with
    no finite validation loss counts as infinite (it cannot be chosen over one that trained)."""
    values = [float(v) if status == "ok" and v is not None and math.isfinite(float(v)) else math.inf
              for status, v in zip(frame["status"], col(frame, SELECTION), strict=True)]
    return float(pd.Series(values).median()) if values else math.inf


def choose(family: dict[str, pd.DataFrame]) -> tuple[str, dict[str, float]]:
    """The trial with the lowest :func:`validation_score` (the first of equals) and every trial's score. Reads the
    validation loss only: the test error never takes part."""
    scores = {value: validation_score(frame) for value, frame in family.items()}
    return min(scores, key=lambda value: scores[value]), scores


def _trials_text(model: str, key: str, chosen: str, scores: dict[str, float]) -> str:
    listed = ", ".join(f"{value}: {score:.3g}{' ← chosen' if value == chosen else ''}"
                       for value, score in scores.items())
    return f"{model}: k = {len(scores)} trials of {key} (median validation loss {listed})"


def _tuned_new(dataset: str) -> Claim:
    return Claim(
        "pde_yat_vs_tanh_tuned",
        "A Yat network (no activation) solves PDEs better than the standard tanh PINN at the same parameter count, "
        "each tuned with the same number of trials.",
        "seeds/004",
        f"Relative L2 error of u on the {dataset} test grid of the yat and tanh configurations each chosen among "
        "its arm's trials (yat: ε; tanh: the learning rate; the same number k for both) by the median over seeds of "
        "the validation physics loss (residual + boundary loss at validation collocation points; the test error is "
        "never read for the choice), parameter counts within 5%, compared on log10(error) over seeds.",
        RULE, quotes=(SEED_QUOTE,), command=TUNED_COMMAND, kind="tuned",
        short="Yat beats tanh on PDEs, equal tuning (seed 004) [tuned]")


def tuned_rows(ctx: Context) -> list[Claim]:
    """One row per (PDE problem, Yat trial set, tanh trial set) of matched size: each arm at its chosen trial."""
    claims = []
    for dataset in pde_datasets(ctx):
        yats, tanhs = trial_families(ctx, dataset, "yat"), trial_families(ctx, dataset, "tanh")
        if not yats and not tanhs:
            continue
        if not yats or not tanhs:  # only one arm was tuned: equal effort needs trials for both
            claim = _tuned_new(dataset)
            counts = "; ".join(f"{name}: {', '.join(f'{len(f)} trials of {k}' for k, f in fams) or '1 (untuned)'}"
                               for name, fams in (("yat", yats), ("tanh", tanhs)))
            claim.evidence = f"{counts} — equal effort needs k ≥ 2 trials for each arm"
            claims.append(claim)
            continue
        for (ykey, yfam), (tkey, tfam) in [(y, t) for y in yats for t in tanhs]:
            (ychoice, yscores), (tchoice, tscores) = choose(yfam), choose(tfam)
            yat, tanh = yfam[ychoice], tfam[tchoice]
            if not _matched(yat, tanh):
                continue
            claim = _tuned_new(dataset).about(
                [yat, tanh], label=f"{dataset}, tuned (k = {len(yscores)} vs {len(tscores)}): yat {ykey} = {ychoice} "
                                   f"vs tanh {tkey} = {tchoice}")
            decide(claim, yat, tanh)
            trials = f"{_trials_text('yat', ykey, ychoice, yscores)}; {_trials_text('tanh', tkey, tchoice, tscores)}"
            claim.evidence = f"{trials}; {claim.evidence}"
            if any(math.isinf(v) for v in [*yscores.values(), *tscores.values()]):
                claim.notes.append("a trial with no finite validation loss (diverged or not recorded) cannot be chosen")
            if len(yscores) != len(tscores):
                claim.notes.append(f"unequal effort: {len(yscores)} yat trials vs {len(tscores)} tanh trials")
            claim.notes.append("tuned row: shown, not counted in the tally of the seed's claims")
            claims.append(claim)
    return claims


CLAIMS = [yat_vs_tanh, tuned_rows]
