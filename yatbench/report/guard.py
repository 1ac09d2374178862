"""One part of the report that cannot be made costs only itself.

Each figure maker, each family of claims and each table is made through :func:`attempt`, at the
one place that discovers and runs them (:func:`yatbench.report.figures.all_figures`,
:func:`yatbench.report.claims.all_claims`, :func:`yatbench.report.tables.all_tables`), and so are
runs.parquet, the provenance table, the version check and the sweep views
(:func:`yatbench.report.build.build_report`). An exception
there is not swallowed: it becomes a :class:`Failure` that names the part, the error and where it was
raised; ``yatbench report`` prints one line per failure on stderr, the page lists them near the top,
and ``errors.txt`` beside the page keeps the full tracebacks for a bug report. Everything else
(the other figures, the tables, the verdicts) is still written.

Only ``Exception`` is caught: Ctrl-C and exits still end the report, which is then not written at all
(see :mod:`yatbench.report.output`).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
ERRORS_FILE = "errors.txt"
PACKAGE = Path(__file__).resolve().parents[1]  # the yatbench package: where a failure is located


def _in_package(filename: str) -> bool:
    return Path(filename).resolve().is_relative_to(PACKAGE)


@dataclass(frozen=True)
class Failure:
    """A part of the report that could not be made: its kind and name, the error, where it was raised."""

    kind: str  # "figure", "claims", "table" (also runs.parquet, provenance), "check" or "view"
    name: str
    error: str  # "ValueError: 'yerr' must not contain negative values"
    where: str  # "yatbench/report/figures/curves.py:205 in param_budget" (the innermost yatbench frame)
    trace: str  # the whole traceback

    @classmethod
    def of(cls, kind: str, name: str, exc: BaseException) -> Failure:
        frames = traceback.extract_tb(exc.__traceback__)
        ours = [f for f in frames if _in_package(f.filename) and Path(f.filename).name != "guard.py"] or frames[-1:]
        where = ""
        if ours:
            frame = ours[-1]
            path = Path(frame.filename)
            shown = path.relative_to(PACKAGE.parent).as_posix() if _in_package(frame.filename) else path.name
            where = f"{shown}:{frame.lineno} in {frame.name}"
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        error = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
        return cls(kind, name, error[:300], where, "".join(traceback.format_exception(exc)))

    def line(self) -> str:
        """One line for the terminal and the page."""
        return f"{self.kind} {self.name!r} could not be made: {self.error}" + (f" ({self.where})" if self.where else "")


def attempt(kind: str, name: str, make: Callable[[], T], failures: list[Failure],
            cleanup: Callable[[], None] | None = None) -> T | None:
    """``make()``, or None with a :class:`Failure` added to ``failures`` when it raises.

    ``cleanup`` runs after a failure (e.g. closing the half-drawn matplotlib figures).
    """
    try:
        return make()
    except Exception as exc:  # recorded, named on the page and on stderr: never silent
        failures.append(Failure.of(kind, name, exc))
        if cleanup is not None:
            cleanup()
        return None


def write_errors(failures: list[Failure], out_dir: Path) -> Path | None:
    """``errors.txt``: every failure's line and full traceback (None, and no file, when nothing failed)."""
    if not failures:
        return None
    path = out_dir / ERRORS_FILE
    path.write_text("\n\n".join(f"{f.line()}\n\n{f.trace}" for f in failures))
    return path
