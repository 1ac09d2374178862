"""``yatbench report --where CONDITION``: report on the runs whose recorded values meet every condition.

A condition is ``KEY OP VALUE``, with ``OP`` one of ``=  !=  <  <=  >  >=``:

- ``KEY`` is any column the report reads from a run (runs.csv's columns): ``dataset``, ``model``,
  ``seed``, ``status``, ``params``, a metric (``test_accuracy``), a dotted config key (``trainer.lr``,
  ``model.hidden``), ``tags`` or a provenance column (``host``, ``versions.torch``);
- ``=`` and ``!=`` take a list of alternatives: ``model=yat,relu`` (either), ``model!=linear,relu``
  (neither). Values compare as the report shows them (``0.01`` matches a recorded 0.01, ``[7]`` a
  hidden list of one layer of 7, ``true`` a recorded True), and as numbers when both sides are numbers;
- ``<  <=  >  >=`` take one value: numbers compare as numbers (a run whose value is not a number,
  or missing, does not match), anything else as text (``finished_at>=2026-12-01``);
- ``tags`` holds a set: ``tags=baseline,v2`` keeps runs with either tag, ``tags!=old`` runs without it.

Several conditions must all hold. A malformed condition, an unknown key, or one that no run meets is
bad input: one line that says what is wrong and what is valid.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, replace
from typing import Any

from yatbench.core.errors import UserError
from yatbench.report.load import RunTable, label_variants, same_value, show_value

OPERATORS = ("!=", "<=", ">=", "=", "<", ">")  # two-character signs first: `a<=3` is not `a<` `=3`
ORDERING = ("<", "<=", ">", ">=")
SET_COLUMNS = ("tags",)  # columns holding comma-joined sets: `=` asks for membership
_CONDITION = re.compile(r"^\s*(?P<key>[^=!<>\s]+)\s*(?P<op>!=|<=|>=|==|=|<|>)\s*(?P<value>.*?)\s*$", re.S)
_SIGNS = set("=!<>")
EXAMPLES = "e.g. --where model=yat,relu --where 'model!=linear' --where 'params<1000' --where tags=baseline"


@dataclass(frozen=True)
class Condition:
    """One ``--where``: a key, an operator, its values (several only for ``=`` and ``!=``)."""

    key: str
    op: str
    values: tuple[str, ...]

    def text(self) -> str:
        """The condition as typed: ``model=yat,relu``, ``params<1000``."""
        return f"{self.key}{self.op}{','.join(self.values)}"


def parse_condition(item: str) -> Condition:
    """``'params<=1000'`` → ``Condition('params', '<=', ('1000',))``; one-line :class:`UserError` if malformed."""
    match = _CONDITION.match(item)
    if not match:
        if not re.search(r"[=<>]", item):
            raise UserError(f"--where {item!r} has no comparison; write KEY=VALUE or KEY OP VALUE with OP one of "
                            f"{' '.join(OPERATORS)}, {EXAMPLES}")
        if item.strip()[:1] in _SIGNS:
            raise UserError(f"--where {item!r} names no key before its comparison; {EXAMPLES}")
        raise UserError(f"--where {item!r} is not KEY OP VALUE (a key has no spaces or signs, OP is one of "
                        f"{' '.join(OPERATORS)}); {EXAMPLES}")
    key, op, value = match["key"], "=" if match["op"] == "==" else match["op"], match["value"]
    if not value:
        raise UserError(f"--where {item!r} has no value after {op!r}; {EXAMPLES}")
    if value[0] in _SIGNS:
        raise UserError(f"--where {item!r} is not one comparison ({key!r}, then {op + value[0]!r}); operators "
                        f"are {' '.join(OPERATORS)}")
    values = tuple(v.strip() for v in _split(value))
    if any(not v for v in values):
        raise UserError(f"--where {item!r} has an empty value in its list; {EXAMPLES}")
    if op in ORDERING and len(values) > 1:
        raise UserError(f"--where {item!r}: {op} takes one value, not a list (lists go with = and !=)")
    return Condition(key, op, values)


def _split(value: str) -> list[str]:
    """Alternatives split at commas outside brackets: ``[7,7],[16]`` is two lists, not four words."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(value):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth <= 0:
            parts.append(value[start:index])
            start = index + 1
    return [*parts, value[start:]]


def parse_where(items: list[str]) -> list[Condition]:
    """Every ``--where`` parsed (:func:`parse_condition`), in order."""
    return [parse_condition(item) for item in items]


def _as_number(value: Any) -> float | None:
    """A finite number from a recorded value or a typed text (bools are not numbers here), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        try:  # numpy scalars
            number = float(value)
        except (TypeError, ValueError):
            return None
    return number if not math.isnan(number) else None


def _equals(seen: Any, text: str) -> bool:
    if isinstance(seen, bool) or str(seen) in ("True", "False"):
        return str(seen).lower() == text.lower()
    number = _as_number(text)
    return show_value(seen) == text or (number is not None and same_value(seen, number))


def _order(seen: Any, op: str, text: str) -> bool:
    want, have = _as_number(text), _as_number(seen)
    if want is not None:
        if have is None:
            return False
        left, right = have, want
    else:
        if seen is None or (isinstance(seen, float) and math.isnan(seen)):
            return False
        left, right = show_value(seen), text
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def matches(seen: Any, condition: Condition) -> bool:
    """Whether one recorded value meets ``condition`` (see the module doc)."""
    if condition.key in SET_COLUMNS and condition.op in ("=", "!="):
        present = {t for t in str(seen if isinstance(seen, str) else "").split(",") if t}
        hit = any(v in present for v in condition.values)
        return hit if condition.op == "=" else not hit
    if condition.op == "=":
        return any(_equals(seen, v) for v in condition.values)
    if condition.op == "!=":
        return not any(_equals(seen, v) for v in condition.values)
    return _order(seen, condition.op, condition.values[0])


def _known_keys(columns: list[str], wanted: str) -> str:
    """A short list of keys to choose from: near misses first, then the common ones."""
    close = difflib.get_close_matches(wanted, columns, n=3, cutoff=0.6)
    common = [c for c in ("dataset", "model", "seed", "status", "params", "tags") if c in columns]
    config = sorted(c for c in columns if "." in c and c.split(".")[0] in ("dataset", "model", "trainer"))
    metrics = sorted(c for c in columns if c.startswith("test_"))
    shown = list(dict.fromkeys([*close, *common, *config[:8], *metrics[:4]]))
    head = f"did you mean {', '.join(close)}? " if close else ""
    return f"{head}keys include {', '.join(shown)} (all {len(columns)} are the columns of runs.csv)"


def apply_where(table: RunTable, where: list[Condition]) -> RunTable:
    """The runs of ``table`` meeting every condition, configurations relabelled within the subset.

    An unknown key or a condition that no run meets is bad input (one line naming what is valid).
    """
    if not where or table.empty:
        return table
    runs = table.runs
    for condition in where:
        key = condition.key
        if key not in runs.columns:
            raise UserError(f"--where key {key!r} is not recorded by any run; "
                            f"{_known_keys([str(c) for c in runs.columns], key)}")
        kept = runs[runs[key].map(lambda v, c=condition: matches(v, c))]
        if kept.empty:
            present = sorted(set(map(show_value, runs[key])))
            shown = ", ".join(present[:20]) + (f" … ({len(present)} values)" if len(present) > 20 else "")
            raise UserError(f"--where {condition.text()!r} matches no run; recorded values of {key}: {shown}")
        runs = kept
    runs = label_variants(runs.reset_index(drop=True))
    ids = set(runs["run_id"])
    return replace(table, runs=runs, configs={k: v for k, v in table.configs.items() if k in ids},
                   records={k: v for k, v in table.records.items() if k in ids})


def where_text(where: list[Condition]) -> str:
    """``trainer.lr = 0.01 and model ∈ {yat, relu} and params < 1000`` for the page and the terminal."""
    parts = []
    for c in where:
        if c.op == "=" and len(c.values) > 1:
            parts.append(f"`{c.key}` ∈ {{{', '.join(c.values)}}}")
        elif c.op == "!=" and len(c.values) > 1:
            parts.append(f"`{c.key}` ∉ {{{', '.join(c.values)}}}")
        else:
            parts.append(f"`{c.key}{c.op}{c.values[0]}`")
    return " and ".join(parts)
