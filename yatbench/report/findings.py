"""The README's findings, regenerated from a report and never written by hand.

``yatbench report --findings README.md`` renders the report's opening table (claim | seed's words | what
was measured | verdict | convergence | budget-robust | which part of ⵟ earns it) as Markdown, with the
results folder, the commits its runs were made at, the code that made the report and the date, and puts it
between the two marker lines of the file::

    <!-- findings:start -->
    ... replaced ...
    <!-- findings:end -->

Everything outside the markers is kept byte for byte. The file is checked before the report is built (a
regular file, not a link, with each marker exactly once, start before end) and rewritten atomically: a
temporary file beside it, then a rename, so a reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import stat
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from yatbench.core.errors import UserError
from yatbench.report.claims import Claim
from yatbench.report.page import overview_frame
from yatbench.report.tables import to_markdown
from yatbench.rundir.provenance import source_commit

START, END = "<!-- findings:start -->", "<!-- findings:end -->"


def check_findings_file(path: Path) -> str:
    """The file's text, or a UserError saying why its findings cannot be replaced."""
    if path.is_symlink():
        raise UserError(f"--findings {path}: is a symbolic link; give the file itself")
    if not path.is_file():
        raise UserError(f"--findings {path}: no such file")
    try:
        text = path.read_bytes().decode("utf-8")  # no newline translation: the rest is kept byte for byte
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"--findings {path}: cannot be read as UTF-8 text ({exc.__class__.__name__})") from None
    starts, ends = marker_lines(text, START), marker_lines(text, END)
    if len(starts) != 1 or len(ends) != 1 or starts[0] > ends[0]:
        raise UserError(f"--findings {path}: needs the line {START} once, then the line {END} once "
                        f"(found {len(starts)} and {len(ends)})")
    return text


def marker_lines(text: str, marker: str) -> list[int]:
    """The indices of the lines that hold ``marker`` alone (a marker quoted in prose is not one)."""
    return [i for i, line in enumerate(text.splitlines()) if line.strip() == marker]


def findings_markdown(claims: list[Claim], runs: pd.DataFrame, results_dir: Path, subset: str = "") -> str:
    """The block that goes between the markers: where the numbers come from, then the opening table."""
    commits = sorted({str(c)[:9] for c in runs.get("commit", pd.Series(dtype=object)).dropna()})
    code, dirty = source_commit()
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    source = (f"Generated on {stamp} by `yatbench report --findings` from the results folder `{results_dir}` "
              f"({len(runs)} runs{'; ' + subset if subset else ''}; runs made at commit "
              f"{', '.join(commits) or 'unknown'}; report code {code[:9]}"
              f"{' with uncommitted changes' if dirty else ''}). Do not edit by hand: rerun the command. Rules, "
              "intervals and every number are in the report's "
              "claim cards and claims.csv.")
    return f"{source}\n\n{to_markdown(overview_frame(claims))}"


def replace_findings(path: Path, block: str) -> None:
    """Put ``block`` between the markers of ``path`` (checked again), atomically; the rest is unchanged."""
    text = check_findings_file(path)
    lines = text.splitlines(keepends=True)
    start, end = marker_lines(text, START)[0], marker_lines(text, END)[0]
    new = "".join([*lines[:start + 1], block.strip() + "\n", *lines[end:]])
    mode = stat.S_IMODE(path.stat().st_mode)
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UserError(f"--findings {path}: cannot write beside it ({exc.strerror})", 1) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(new)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException as exc:
        Path(temp).unlink(missing_ok=True)  # no temporary file is left behind, whatever stopped the write
        if isinstance(exc, OSError):
            raise UserError(f"--findings {path}: cannot be rewritten ({exc.strerror})", 1) from None
        raise
