"""``yatbench report --where KEY=V1,V2``: report on the runs whose recorded values match.

A key is any column the report reads from a run: ``dataset``, ``model``, ``seed``, ``status`` or a
dotted config key (``trainer.lr``, ``model.hidden``). Several ``--where`` must all hold; the
values of one are alternatives. Values compare as the report shows them (``0.01`` matches a
recorded 0.01, ``[7]`` a hidden list of one layer of 7).
"""

from __future__ import annotations

from dataclasses import replace

from yatbench.errors import UserError
from yatbench.report.load import RunTable, label_variants, same_value, show_value


def parse_where(items: list[str]) -> dict[str, list[str]]:
    """``['trainer.lr=0.01', 'model=yat,relu']`` → ``{'trainer.lr': ['0.01'], 'model': ['yat', 'relu']}``."""
    where: dict[str, list[str]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip()
        if not sep or not key or not values.strip():
            raise UserError(f"--where {item!r} is not KEY=VALUE[,VALUE...], e.g. --where trainer.lr=0.01 "
                            "--where model=yat,relu")
        where.setdefault(key, []).extend(v.strip() for v in values.split(",") if v.strip())
    return where


def _matches(seen: object, wanted: list[str]) -> bool:
    for text in wanted:
        try:
            number = float(text)
        except ValueError:
            number = None
        if show_value(seen) == text or (number is not None and same_value(seen, number)):
            return True
    return False


def apply_where(table: RunTable, where: dict[str, list[str]]) -> RunTable:
    """The runs of ``table`` matching every condition, configurations relabelled within the subset.

    An unknown key or a condition that no run meets is bad input (one line naming what is valid).
    """
    if not where or table.empty:
        return table
    runs = table.runs
    for key, wanted in where.items():
        if key not in runs.columns:
            keys = ["dataset", "model", "seed", "status",
                    *sorted(c for c in runs.columns if "." in c and c.split(".")[0] in ("dataset", "model",
                                                                                          "trainer", "device"))]
            raise UserError(f"--where key {key!r} is not recorded by any run; keys: {', '.join(keys)}")
        kept = runs[runs[key].map(lambda v, w=wanted: _matches(v, w))]
        if kept.empty:
            present = ", ".join(sorted(set(map(show_value, runs[key])))[:20])
            raise UserError(f"--where {key}={','.join(wanted)} matches no run; recorded values of {key}: {present}")
        runs = kept
    runs = label_variants(runs.reset_index(drop=True))
    ids = set(runs["run_id"])
    return replace(table, runs=runs, configs={k: v for k, v in table.configs.items() if k in ids},
                   records={k: v for k, v in table.records.items() if k in ids})


def where_text(where: dict[str, list[str]]) -> str:
    """``trainer.lr = 0.01 and model ∈ {yat, relu}`` for the page and the terminal."""
    return " and ".join(f"`{k}={v[0]}`" if len(v) == 1 else f"`{k}` ∈ {{{', '.join(v)}}}" for k, v in where.items())
