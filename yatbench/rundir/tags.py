"""Tags: labels on runs (``baseline``, ``v2``), never part of what identifies a run.

``tags=[baseline,v2]`` on ``yatbench run`` or ``yatbench sweep`` labels the runs it names; the run
id and config.yaml do not change, so the same config with other tags is the same run. Tags live
in the run folder's ``tags.json`` (a JSON list), the one file of a finished run that may change:

- a new run is written with its tags;
- a finished run named again with tags *gains* them (it is not trained again);
- ``yatbench tag RUN... --add T --remove T`` edits them by hand.

A tag is 1-64 letters, digits, ``_ . : + -`` (no commas, spaces or comparison signs, so that
``--where tags=baseline,v2`` and runs.csv's comma-joined ``tags`` column read back unambiguously).
tags.json is replaced in one rename, so a reader sees the old tags or the new ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from yatbench.core.errors import UserError
from yatbench.core.safe_paths import atomic_write_text

TAGS_FILE = "tags.json"
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:+-]{0,63}$")


def check_tags(value: Any, key: str = "tags") -> tuple[str, ...]:
    """A list of tags (or one tag) → the tags, in order, without repeats; one-line error otherwise."""
    items = [value] if isinstance(value, str) else value
    if items is None:
        return ()
    if not isinstance(items, (list, tuple)):
        raise UserError(f"{key}={value!r} is not a list of tags; write {key}=[baseline,v2]")
    for item in items:
        if not isinstance(item, str) or not TAG.match(item):
            raise UserError(f"{key}: {item!r} is not a tag; a tag is 1-64 letters, digits, '_', '.', ':', '+' "
                            "or '-', e.g. tags=[baseline,v2]")
    return tuple(dict.fromkeys(items))


def read_tags(run_dir: Path) -> list[str]:
    """The run's tags ([] when it has none, or when tags.json is not a list of tags)."""
    try:
        data = json.loads((run_dir / TAGS_FILE).read_text())
    except (OSError, ValueError, RecursionError):  # RecursionError: e.g. 200 000 '[' nested too deep for json
        return []
    if not isinstance(data, list) or not all(isinstance(t, str) and TAG.match(t) for t in data):
        return []
    return list(dict.fromkeys(data))


def write_tags(run_dir: Path, tags: Iterable[str]) -> None:
    """Replace the run's tags in one rename (no tags: tags.json holds an empty list).

    Written by :func:`yatbench.core.safe_paths.atomic_write_text`: a run folder that is a symbolic link is
    refused in one line (tags.json is never written through it, outside the results folder), and an
    interrupted write leaves no temporary file behind, or one with an owned name a sweep cleans.
    """
    try:
        atomic_write_text(run_dir, TAGS_FILE, json.dumps(list(dict.fromkeys(tags))) + "\n")
    except OSError as exc:
        raise UserError(f"cannot write the tags of {run_dir}: {exc.strerror or exc}", 1) from None


def edit_tags(run_dir: Path, add: Iterable[str] = (), remove: Iterable[str] = ()) -> tuple[list[str], bool]:
    """Add and remove tags of a run folder; returns its tags now and whether they changed."""
    before = read_tags(run_dir)
    gone = set(remove)
    after = [t for t in dict.fromkeys([*before, *add]) if t not in gone]
    if after != before:
        write_tags(run_dir, after)
    return after, after != before
