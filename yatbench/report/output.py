"""Where the report goes, written so that nothing of the user's is lost and no half report is left.

The report is written into a temporary sibling of ``--out`` and swapped in with renames only
once complete, so a kill or a crash part-way leaves the previous report as it was. A report
folder carries a marker file listing what yatbench wrote into it; an existing ``--out`` is
replaced only when it is empty or holds exactly such a report. Anything else (a results
folder, a file, a folder with the user's own files) is refused with one line, and nothing is
deleted that yatbench did not write. ``--out`` may not be a symbolic link, nor the root, the home
folder or a system folder (:mod:`yatbench.core.safe_paths`); nothing is ever removed through a link.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from yatbench.core.errors import UserError
from yatbench.core.owner import is_leftover, owned_name, owner_of
from yatbench.core.safe_paths import check_output_dir, remove_tree

MARKER = ".yatbench-report.json"
STALE_S = 3600.0


def _written_files(folder: Path) -> set[str] | None:
    """The files a previous report says it wrote, or None when ``folder`` is not a yatbench report."""
    try:
        listed = json.loads((folder / MARKER).read_text()).get("files")
    except (OSError, ValueError, AttributeError):
        return None
    return set(listed) if isinstance(listed, list) else None


def check_target(out_dir: Path) -> None:
    """Refuse (exit 2) an ``--out`` that is a file, a link, a system folder or a folder holding anything but a
    previous report."""
    check_output_dir(out_dir, "--out")
    if out_dir.is_symlink():
        raise UserError(f"--out {out_dir} is a symbolic link (to {os.readlink(out_dir)}); give the folder itself")
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out {out_dir} is a file; give a folder for the report (new, empty, or an earlier "
                        "yatbench report)")
    if not out_dir.is_dir():
        return
    try:
        present = {p.name for p in out_dir.iterdir()}
    except OSError as exc:
        raise UserError(f"cannot read --out {out_dir}: {exc.strerror or exc}", 1) from None
    if not present:
        return
    written = _written_files(out_dir)
    if written is None:
        raise UserError(f"--out {out_dir} holds files that are not a yatbench report ({_some(present)}); "
                        "give a new or empty folder, or an earlier report's folder")
    extra = present - written - {MARKER}
    if extra:
        raise UserError(f"--out {out_dir} is an earlier report but also holds {_some(extra)}, which yatbench did "
                        "not write; move them away or choose another --out")


def _some(names: set[str]) -> str:
    shown = sorted(names)[:3]
    return ", ".join(shown) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def remove_leftovers(out_dir: Path) -> None:
    """Temporary report folders left beside ``out_dir`` by a report that was killed."""
    parent = out_dir.parent
    if not parent.is_dir():
        return
    for path in parent.glob(f".{out_dir.name}.*"):
        owner = owner_of(path.name)
        if owner is not None and owner.stem == f".{out_dir.name}" and is_leftover(path, STALE_S):
            remove_tree(path)  # a link of that name goes as a link; its target is never entered


@contextmanager
def staged(out_dir: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``out_dir``; on success, mark it and swap it in for ``out_dir``."""
    check_target(out_dir)
    remove_leftovers(out_dir)
    work = out_dir.parent / owned_name(f".{out_dir.name}")
    try:
        work.mkdir(parents=True)
    except OSError as exc:
        raise UserError(f"cannot write the report next to {out_dir}: {exc.strerror or exc}", 1) from None
    try:
        yield work
        files = sorted(p.name for p in work.iterdir())
        (work / MARKER).write_text(json.dumps({"files": files}, indent=1) + "\n")
        check_target(out_dir)  # again: the folder may have changed while the report was built
        retired = out_dir.parent / f"{work.name}.old"
        if out_dir.is_dir():
            os.rename(out_dir, retired)
        os.rename(work, out_dir)
        remove_tree(retired)  # checked above: it held only what yatbench wrote
    except OSError as exc:
        remove_tree(work)
        raise UserError(f"cannot write the report to {out_dir}: {exc.strerror or exc}", 1) from None
    except BaseException:
        remove_tree(work)
        raise


def parquet_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each object column of mixed types (an int beside a text, a list shown as text) as text,
    which Parquet's typed columns need; columns of one type (and missing values) are left as they are."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            kinds = {type(v) for v in out[column] if v is not None and not (isinstance(v, float) and v != v)}
            if len(kinds) > 1:
                out[column] = out[column].map(lambda v: None if v is None or (isinstance(v, float) and v != v)
                                              else str(v))
    return out


def write_parquet(frame: pd.DataFrame, path: Path) -> str | None:
    """Write ``frame`` as Parquet (pyarrow); return why not, in one line, when pyarrow is not installed.
    An error of pyarrow's own propagates: the report records it as a failure (:mod:`yatbench.report.guard`),
    removes the half-written file and writes the rest."""
    try:
        import pyarrow  # noqa: F401  (pandas needs it for Parquet; say so rather than fail the report)
    except ImportError:
        return f"{path.name} not written: pyarrow is not installed (pip install pyarrow)"
    parquet_ready(frame).to_parquet(path, index=False)
    return None
