"""The claims of ``seeds/`` that the runs can test, each with its measurement and a verdict.

One module per family of claims; each module's ``CLAIMS`` lists functions ``ctx → [Claim]`` that
return one row per configuration they decide (see :mod:`yatbench.report.claims.base`). Adding a
claim is one function in a family module, or one new module in this package: every module that
defines ``CLAIMS`` is found (``families``), the ones in ``FIRST`` in that order, then the others
by name. Each function is run through :func:`yatbench.report.guard.attempt`: one that raises is
recorded in ``ctx.failures`` (named on the page and on stderr) and the other claims are still decided.

After the families, :func:`all_claims` adds to every row alike, from the runs the row used:

- **convergence**: ``converged`` when every finished run it used stopped by the early-stopping rule,
  ``unconverged`` when one was cut off by its maximum budget while still improving — then the verdict is
  not read: a decided verdict becomes **unconverged**, with the override that gets there — ``not
  recorded`` for runs made before early stopping, ``n/a`` for rows that used no runs (the formula);
- **budget_robust**: every claim is decided again, by the same functions, on the runs as they stood at
  half the budget each used (:mod:`yatbench.report.budget`); ``yes`` when the verdict is the same,
  ``no`` when it changes, ``n/a`` when the row used no runs, was not decided on runs, or rests on
  something measured only at the end of training (then it says so);
- **kind** / **counts_in_tally**: tuned and nmn-variant rows are shown, labelled, and left out of
  :func:`verdict_counts`.

Intervals of test-set means use the runs' per-example test outcomes where recorded
(:func:`yatbench.report.claims.base.compare_means`).
"""

from __future__ import annotations

import math
from types import ModuleType

import pandas as pd

from yatbench.core.discover import package_modules
from yatbench.report.budget import half_budget
from yatbench.report.claims.base import (
    CONTRADICTED,
    DECIDED,
    MIN_SEEDS,
    NOT_ENOUGH,
    PREMISE_NOT_MET,
    SUPPORTED,
    UNCONVERGED,
    Claim,
    Quote,
    reading_outcomes,
)
from yatbench.report.context import Context
from yatbench.report.guard import attempt
from yatbench.report.load import RunTable
from yatbench.report.outcomes import OutcomeReader

__all__ = ["CONTRADICTED", "NOT_ENOUGH", "PREMISE_NOT_MET", "SUPPORTED", "UNCONVERGED", "UNTESTED", "VERDICTS",
           "Claim", "Quote", "all_claims", "claims_frame", "verdict_counts"]

VERDICTS = (SUPPORTED, CONTRADICTED, NOT_ENOUGH, UNCONVERGED, PREMISE_NOT_MET)

FIRST = ("xor", "compositional", "prototypes", "inversion", "formula")


def families() -> list[ModuleType]:
    """Every module of this package that defines ``CLAIMS``: those in ``FIRST`` in that order, then by name."""
    return [m for m in package_modules(__name__, __path__, FIRST, skip=("base",)) if hasattr(m, "CLAIMS")]


UNTESTED = [
    ("seeds/004", "Yat kernels beat tanh networks on neural ODEs.", "no neural-ODE task in yatbench (PDEs are tested)"),
    ("seeds/003", "No activation means no information loss and interpretable ('white-box') models.",
     "not a measurable statement as written; the prototype and territory figures show what can be seen"),
]


def decide(ctx: Context) -> list[Claim]:
    """Every family's rows, as the families decided them (a function that raises is recorded in ctx.failures)."""
    claims = []
    for family in families():
        for make in family.CLAIMS:
            name = f"{family.__name__.rsplit('.', 1)[-1]}.{make.__name__}"
            claims += attempt("claims", name, lambda make=make: list(make(ctx)), ctx.failures) or []
    return claims


def all_claims(ctx: Context) -> list[Claim]:
    """Every testable claim, one row per configuration it decides, in page order, with its convergence,
    budget robustness and kind (see the module)."""
    with reading_outcomes(OutcomeReader(ctx.table)):
        claims = decide(ctx)
    halves = half_budget_claims(ctx) if any(c.run_ids for c in claims) else None
    for row, claim in _by_row(claims).items():
        finish(claim, row, ctx.table, halves)
    return claims


Row = tuple[str, str, str, int]
Decided = dict[Row, Claim]


def _by_row(claims: list[Claim]) -> Decided:
    """Claims by (key, seedless keys, setting, occurrence): how a row is found again in another pass."""
    seen: dict[tuple[str, str, str], int] = {}
    out = {}
    for claim in claims:
        row = (claim.key, claim.config, claim.setting)
        seen[row] = seen.get(row, -1) + 1
        out[(*row, seen[row])] = claim
    return out


Halves = tuple[Decided, Decided, dict[str, str]]


def half_budget_claims(ctx: Context) -> Halves:
    """The claims decided on the two half-budget tables (with and without what was measured only at the end),
    and how each run's evaluation was chosen; failures there are not the page's (the full pass reports its own)."""
    half = half_budget(ctx.table)
    passes = []
    for table in (half.with_files, half.without_files):
        sub = Context(table, ctx.variants, ctx.out_dir)
        with reading_outcomes(OutcomeReader(ctx.table, half.epochs, table.runs)):
            passes.append(_by_row(decide(sub)))
    return passes[0], passes[1], half.how


def _state(claim: Claim) -> tuple[str, str, int, str]:
    return claim.verdict, claim.headline, claim.seeds, claim.thresholds


def budget_robustness(claim: Claim, row: Row, halves: Halves | None,
                      used: pd.DataFrame) -> tuple[str, str]:
    """(yes | no | n/a, the half-budget verdict or why it is n/a)."""
    if not claim.run_ids or halves is None:
        return "n/a", "no training runs behind this row"
    if claim.verdict not in DECIDED and claim.seeds < MIN_SEEDS:
        return "n/a", "not decided on runs"
    kept, bare = halves[0].get(row), halves[1].get(row)
    if kept is None or bare is None:
        return "n/a", "could not be decided again at half the budget"
    if _state(kept) != _state(bare):
        return "n/a", ("its measure is taken only at the end of training (from the final weights or metrics), so "
                       "it cannot be read at half the budget")
    if kept.seeds == 0 and claim.seeds > 0:
        return "n/a", "at half the budget the runs had no evaluation to read it from"
    note = (f"at half the budget each run used (its best validation evaluation up to half its epochs): "
            f"{kept.verdict}" + (f" — {kept.headline}" if kept.headline else ""))
    older = sum(halves[2].get(r, "").startswith("last evaluation") for r in used["run_id"])
    if older:
        note += (f" ({older} run(s) without a validation record read at their last evaluation up to half their "
                 "epochs)")
    return ("yes" if kept.verdict == claim.verdict else "no"), note


def convergence(used: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    """(converged | unconverged | not recorded | n/a, the finished runs cut off by their maximum budget)."""
    finished = used[used["status"] == "ok"] if not used.empty else used
    if finished.empty:
        return "n/a", finished
    flags = finished["converged"] if "converged" in finished.columns else pd.Series(None, index=finished.index)
    known = flags.map(lambda v: v if isinstance(v, bool) or v in (0, 1) else None)
    cut = finished[known.map(lambda v: v is not None and not bool(v))]
    if len(cut):
        return "unconverged", cut
    if known.map(lambda v: v is None).any():
        return "not recorded", cut
    return "converged", cut


def _raise_budget(command: str, cut: pd.DataFrame, records_epochs: list[int]) -> str:
    """``command`` with the override that gives the cut-off runs room to converge: twice their largest budget."""
    lbfgs = pd.to_numeric(cut["dataset.lbfgs_steps"], errors="coerce").max() if "dataset.lbfgs_steps" in cut.columns \
        else math.nan
    if not math.isnan(lbfgs) and lbfgs > 0:  # an L-BFGS phase comes last (PDEs): it is the one that was cut off
        return f"{command} dataset.lbfgs_steps={2 * int(lbfgs)}".strip()
    budget = pd.to_numeric(cut["max_epochs"], errors="coerce").max() if "max_epochs" in cut.columns else math.nan
    budget = int(budget) if not math.isnan(budget) else max(records_epochs, default=0)
    override = f"trainer.epochs={2 * budget}" if budget else "a larger trainer.epochs"
    return f"{command} {override}".strip()


def finish(claim: Claim, row: Row, table: RunTable, halves: Halves | None) -> None:
    """Add convergence, budget robustness and kind to a decided row, and the command that supplies what it lacks."""
    runs = table.runs
    used = runs[runs["run_id"].isin(claim.run_ids)] if claim.run_ids and not runs.empty else runs.iloc[0:0]
    if claim.kind in ("tuned", "variant"):  # shown, labelled, never a verdict on the seeds' claims
        claim.counts_in_tally = False
    claim.convergence, cut = convergence(used)
    claim.budget_robust, claim.budget_note = budget_robustness(claim, row, halves, used)
    if claim.convergence == "unconverged" and (claim.verdict in DECIDED
                                               or (claim.verdict == NOT_ENOUGH and claim.seeds >= MIN_SEEDS)):
        epochs = [table.records[r].epochs_run for r in cut["run_id"] if r in table.records]
        claim.command = _raise_budget(claim.command, cut, epochs)
        claim.notes.append(
            f"not read: the verdict at the budget run was “{claim.verdict}”, but {len(cut)} of "
            f"{int((used['status'] == 'ok').sum())} runs were cut off by their maximum budget while still "
            f"improving ({', '.join(map(str, cut['run_id'][:4]))}{' …' if len(cut) > 4 else ''}); to reach "
            f"convergence, raise the budget: `{claim.command}`")
        claim.verdict = UNCONVERGED
        return
    if claim.convergence == "not recorded":
        claim.notes.append("convergence not recorded (runs made before early stopping); rerun with this version "
                           "to know whether the arms had converged")
    if claim.verdict != NOT_ENOUGH:  # the command is only shown where it would supply missing data
        claim.command = ""
    elif claim.seeds >= MIN_SEEDS and claim.command:
        # The runs are there but the interval straddles the threshold: 4× the seeds halves its width.
        claim.command += f" seed='range({4 * claim.seeds})'"
        claim.notes.append(f"the 95% interval from {claim.seeds} seeds straddles the decision "
                           "threshold; more seeds narrow it")


def claims_frame(claims: list[Claim]) -> pd.DataFrame:
    """The claims as a table (claims.csv): the overview's columns first, in its order, then the rest."""
    return pd.DataFrame([{
        "claim": c.key, "configuration": c.setting, "quotes": " | ".join(map(str, c.quotes)),
        "measured": c.headline, "verdict": c.verdict, "convergence": c.convergence, "budget_robust": c.budget_robust,
        "earned_by": c.earned_by, "counts_in_tally": c.counts_in_tally, "kind": c.kind,
        "seedless_keys": c.config, "statement": c.statement, "source": c.source, "measurement": c.measurement,
        "rule": c.rule, "at_neighbouring_thresholds": c.thresholds, "evidence": c.evidence,
        "runs": c.runs, "run_ids": " ".join(c.run_ids), "budget_note": c.budget_note,
        "to_get_more_data": c.command, "notes": " | ".join(c.notes),
    } for c in claims])


def verdict_counts(claims: list[Claim]) -> dict[str, int]:
    """How many of the seeds' claims got each verdict; tuned and nmn-variant rows are not counted."""
    out = dict.fromkeys(VERDICTS, 0)
    for claim in claims:
        if claim.counts_in_tally:
            out[claim.verdict] = out.get(claim.verdict, 0) + 1
    return out
