"""The claims of ``seeds/`` that the runs can test, each with its measurement and a verdict.

One module per family of claims; each module's ``CLAIMS`` lists functions ``ctx → [Claim]`` that
return one row per configuration they decide (see :mod:`yatbench.report.claims.base`). Adding a
claim is one function in a family module, or one new module in this package: every module that
defines ``CLAIMS`` is found (``families``), the ones in ``FIRST`` in that order, then the others
by name. Each function is run through :func:`yatbench.report.guard.attempt`: one that raises is
recorded in ``ctx.failures`` (named on the page and on stderr) and the other claims are still decided.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pandas as pd

from yatbench.report.claims.base import CONTRADICTED, MIN_SEEDS, NOT_ENOUGH, SUPPORTED, Claim, Quote
from yatbench.report.context import Context
from yatbench.report.guard import attempt

__all__ = ["CONTRADICTED", "NOT_ENOUGH", "SUPPORTED", "UNTESTED", "Claim", "Quote", "all_claims", "claims_frame",
           "verdict_counts"]

FIRST = ("xor", "compositional", "prototypes", "inversion", "formula")


def families() -> list[ModuleType]:
    """Every module of this package that defines ``CLAIMS``: those in ``FIRST`` in that order, then by name."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "base")
    order = [n for n in FIRST if n in names] + [n for n in names if n not in FIRST]
    modules = [importlib.import_module(f"{__name__}.{name}") for name in order]
    return [m for m in modules if hasattr(m, "CLAIMS")]


UNTESTED = [
    ("seeds/004", "Yat kernels beat tanh networks on neural ODEs.", "no neural-ODE task in yatbench (PDEs are tested)"),
    ("seeds/003", "No activation means no information loss and interpretable ('white-box') models.",
     "not a measurable statement as written; the prototype and territory figures show what can be seen"),
]


def all_claims(ctx: Context) -> list[Claim]:
    """Every testable claim, one row per configuration it decides, in page order."""
    claims = []
    for family in families():
        for make in family.CLAIMS:
            name = f"{family.__name__.rsplit('.', 1)[-1]}.{make.__name__}"
            made = attempt("claims", name, lambda make=make: list(make(ctx)), ctx.failures)
            for claim in made or []:
                if claim.verdict != NOT_ENOUGH:  # the command is only shown where it would supply missing data
                    claim.command = ""
                elif claim.seeds >= MIN_SEEDS and claim.command:
                    # The runs are there but the interval straddles the threshold: 4× the seeds halves its width.
                    claim.command += f" seed='range({4 * claim.seeds})'"
                    claim.notes.append(f"the 95% interval from {claim.seeds} seeds straddles the decision "
                                       "threshold; more seeds narrow it")
                claims.append(claim)
    return claims


def claims_frame(claims: list[Claim]) -> pd.DataFrame:
    """The claims as a table (claims.csv)."""
    return pd.DataFrame([{
        "claim": c.key, "configuration": c.setting, "seedless_keys": c.config, "statement": c.statement,
        "source": c.source, "quotes": " | ".join(map(str, c.quotes)), "measurement": c.measurement,
        "rule": c.rule, "verdict": c.verdict, "at_neighbouring_thresholds": c.thresholds, "evidence": c.evidence,
        "runs": c.runs, "to_get_more_data": c.command, "notes": " | ".join(c.notes),
    } for c in claims])


def verdict_counts(claims: list[Claim]) -> dict[str, int]:
    out = {SUPPORTED: 0, CONTRADICTED: 0, NOT_ENOUGH: 0}
    for claim in claims:
        out[claim.verdict] = out.get(claim.verdict, 0) + 1
    return out
