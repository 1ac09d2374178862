"""Terminal tables that stay readable at 80 columns: the columns that tell rows apart are never cut.

Every table the CLI prints is described as :class:`Col` s with a *role*:

- ``key``: a value that tells rows apart (a model, a number compared across rows): shown whole, on one line;
- ``words``: space-separated ``key=value`` words that tell rows apart (a configuration's settings): the
  column may wrap, but only between words, so each word stays whole;
- ``text``: prose (a claim, a message): wraps between words;
- ``extra``: shown while the table still fits, else left out (named in the caption).

:func:`fit_table` measures the cells and either returns a rich Table that fits ``width`` or, when even
the keys do not fit side by side, a *stacked* layout: one block per row, its keys on a heading line and
the other cells as ``name: value`` pairs below, wrapped between pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

ROLES = ("key", "words", "text", "extra")
TEXT_MIN = 16  # a prose column is never narrower than this (or its longest word)


@dataclass(frozen=True)
class Col:
    """One column: its header, its role (see the module), its alignment and an optional style."""

    name: str
    role: str = "key"
    justify: str = "left"
    style: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"column role {self.role!r} is not one of {ROLES}")


def cell_width(markup: str) -> int:
    """The printed width of a cell written in rich markup."""
    return max((Text.from_markup(line).cell_len for line in str(markup).split("\n")), default=0)


def _longest_word(markup: str) -> int:
    return max((cell_width(word) for word in Text.from_markup(str(markup)).plain.split()), default=0)


def _need(col: Col, cells: list[str]) -> tuple[int, int]:
    """(smallest width, natural width) of a column, header included."""
    natural = max([cell_width(col.name), *(cell_width(c) for c in cells)])
    if col.role == "key":
        return natural, natural
    if col.role == "words":
        return max([_longest_word(col.name), *(_longest_word(c) for c in cells)]), natural
    return min(natural, max([TEXT_MIN, *(_longest_word(c) for c in cells)])), natural


def table_width(widths: Sequence[int]) -> int:
    """Width of a rich Table with the default box and padding: a border, and per column 2 spaces and a border."""
    return 1 + sum(w + 3 for w in widths)


def fit_table(columns: Sequence[Col], rows: Sequence[Sequence[Any]], width: int, title: str | None = None,
              caption: str | None = None, constant: Sequence[str] = (), **table_options: Any) -> Table | Group:
    """A rich renderable of ``rows`` that fits ``width`` columns without cutting a key or a word of a key.

    A column named in ``constant`` whose value is the same on every row moves into the title (``dataset: xor``).
    Extras are added in the order given while they fit; when the keys, words and text columns do not fit
    even at their smallest, the rows are stacked (:func:`stacked`).
    """
    texts = [[("" if v is None else str(v)) for v in row] for row in rows]
    same = [i for i, col in enumerate(columns) if col.name in constant and len(rows) > 1
            and len({row[i] for row in texts}) == 1]
    if same:
        title = " · ".join([*([title] if title else []), *(f"{columns[i].name}: {texts[0][i]}" for i in same)])
        columns = [col for i, col in enumerate(columns) if i not in same]
        texts = [[cell for i, cell in enumerate(row) if i not in same] for row in texts]
    needs = [_need(col, [row[i] for row in texts]) for i, col in enumerate(columns)]
    chosen = [i for i, col in enumerate(columns) if col.role != "extra"]
    if table_width([needs[i][0] for i in chosen]) > width:
        return stacked(columns, texts, width, title, caption)
    def base(i: int) -> int:  # words keep their natural width before any extra is let in; prose may wrap
        return needs[i][1] if columns[i].role == "words" else needs[i][0]

    for i, col in enumerate(columns):
        if col.role == "extra" and table_width([base(j) for j in chosen] + [needs[i][1]]) <= width:
            chosen.append(i)
    chosen.sort()
    left_out = [columns[i].name for i, col in enumerate(columns) if col.role == "extra" and i not in chosen]
    notes = [caption] if caption else []
    if left_out:
        notes.append(f"(at {width} columns: {', '.join(left_out)} left out)")
    table = Table(title=title, title_justify="left", caption=" ".join(notes) or None, caption_justify="left",
                  **table_options)
    for i in chosen:
        col = columns[i]
        smallest, natural = needs[i]
        if col.role in ("key", "extra"):
            table.add_column(col.name, justify=col.justify, style=col.style, no_wrap=True, min_width=natural)
        else:  # wraps between words only: a word longer than the column never happens (min_width)
            table.add_column(col.name, justify=col.justify, style=col.style, min_width=smallest,
                             overflow="fold")
    for row in texts:
        table.add_row(*(row[i] for i in chosen))
    return table


def stacked(columns: Sequence[Col], rows: Sequence[Sequence[str]], width: int, title: str | None = None,
            caption: str | None = None) -> Group:
    """One block per row: the left-aligned key cells (what names the row) joined by `` · `` in bold, then every
    other cell as a ``name: value`` pair, pairs wrapped onto further lines, never split."""
    parts: list[Any] = []
    if title:
        parts.append(Text.from_markup(f"[bold]{title}[/]"))
    keys = [i for i, col in enumerate(columns) if col.role == "key" and col.justify == "left"]
    for row in rows:
        head = " · ".join(row[i] for i in keys if row[i])
        parts.append(Text.from_markup(f"[bold]{head}[/]") if head else Text(""))
        line: list[str] = []
        pairs = [f"{columns[i].name}: {row[i]}" for i in range(len(columns)) if i not in keys and row[i]]
        for pair in pairs:
            candidate = "   ".join([*line, pair])
            if line and cell_width("  " + candidate) > width:
                parts.append(Text.from_markup("  " + "   ".join(line)))
                line = []
            line.append(pair)
        if line:
            parts.append(Text.from_markup("  " + "   ".join(line)))
    if caption:
        parts.append(Text.from_markup(caption, style="dim"))
    return Group(*parts)


def seed_range(seeds: list[int]) -> str:
    """``0–4`` for a contiguous run of seeds, else a comma list."""
    seeds = sorted(set(int(s) for s in seeds))
    if not seeds:
        return ""
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}–{seeds[-1]}"
    return ",".join(str(s) for s in seeds)
