"""The index page: ``index.md`` (images by file name) and a self-contained ``index.html``
(images embedded as base64 data URIs, no external files, scripts or fonts).

The page is built once as a list of blocks whose text is Markdown, and rendered to both formats
(:mod:`yatbench.report.html` turns the Markdown into HTML), so they say the same. Headings carry
anchors and feed the table of contents; claims carry ``#claim-N`` anchors; tables link their CSV.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from yatbench.report import html as page_html
from yatbench.report.claims import (
    CONTRADICTED,
    NOT_ENOUGH,
    PREMISE_NOT_MET,
    SUPPORTED,
    UNCONVERGED,
    UNTESTED,
    Claim,
)
from yatbench.report.figures import Figure
from yatbench.report.latex import latex_to_unicode
from yatbench.report.runlog import runs_html, runs_markdown
from yatbench.report.sweepview import CSS as SWEEP_CSS
from yatbench.report.sweepview import SCRIPT as SWEEP_SCRIPT
from yatbench.report.sweepview import SweepPoints, points_table, view_html
from yatbench.report.tables import Table, to_markdown

VERDICT_STYLE = {SUPPORTED: ("#1a7f37", "✔"), CONTRADICTED: ("#b42318", "✘"), NOT_ENOUGH: ("#6b6b6b", "?"),
                 UNCONVERGED: ("#9a6700", "⧗"), PREMISE_NOT_MET: ("#6b6b6b", "∅")}
OVERVIEW = ("claim", "seed's words", "what was measured", "verdict", "convergence", "budget-robust",
            "which part of ⵟ earns it")
KIND_LABEL = {"tuned": "tuned — not counted in the tally", "variant": "nmn's variant — not counted in the tally"}


@dataclass
class Block:
    """One piece of the page: a heading, a paragraph, a list, a table, a frame, a figure, a claim or the runs.

    ``anchor`` names the block on the page (headings get one from their text when it is empty);
    ``extra`` holds what a kind needs besides its content (a claim's links to its runs).
    """

    kind: str
    content: Any
    level: int = 2
    anchor: str = ""
    extra: str = ""


def heading(text: str, level: int = 2, anchor: str = "") -> Block:
    return Block("heading", text, level, anchor or page_html.slug(text))


def para(text: str) -> Block:
    return Block("para", text)


def bullets(items: list[str]) -> Block:
    return Block("list", items)


def _table_anchor(tab: Table) -> str:
    return page_html.slug(f"table {tab.name} {tab.title}")


def render_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if block.kind == "heading":
            out.append(f"{'#' * block.level} {block.content}\n")
        elif block.kind == "para":
            out.append(f"{block.content}\n")
        elif block.kind == "list":
            out.append("\n".join(f"- {item}" for item in block.content) + "\n")
        elif block.kind == "table":
            tab: Table = block.content
            out.append(f"**{tab.title}.** {tab.caption} ([{tab.name}.csv]({tab.name}.csv))\n\n"
                       f"{to_markdown(tab.display)}")
        elif block.kind == "frame":
            out.append(to_markdown(block.content))
        elif block.kind == "figure":
            fig: Figure = block.content
            out.append(f"![{fig.title}]({fig.path.name})\n\n*{fig.caption}*\n")
        elif block.kind == "claim":
            out.append(_claim_markdown(block))
        elif block.kind == "runs":
            out.append(runs_markdown(block.content))
        elif block.kind == "sweepview":
            out.append(_sweep_caption(block.content) + "\n\n" + to_markdown(points_table(block.content)))
    return "\n".join(out)


def _sweep_caption(sweep: SweepPoints) -> str:
    return (f"**{sweep.dataset}: every configuration** ({len(sweep.points)}), swept over "
            f"{', '.join(f'`{k}`' for k in sweep.keys)}; {sweep.metric}: mean and 95% interval over seeds "
            "(interactive view in index.html).")


def _claim_rows(claim: Claim, links: str) -> list[tuple[str, str]]:
    """The claim card's fields as (name, Markdown text)."""
    rows = [("Source", claim.source), *(("Seed's words", latex_to_unicode(str(q))) for q in claim.quotes)]
    if claim.setting:
        rows.append(("Configuration", claim.setting))
    if claim.kind in KIND_LABEL:
        rows.append(("Kind", KIND_LABEL[claim.kind]))
    rows += [("Measurement", claim.measurement), ("Decision rule", claim.rule), ("Result", claim.evidence),
             ("Convergence", claim.convergence), ("Budget-robust", f"{claim.budget_robust} — {claim.budget_note}"),
             ("Which part of ⵟ earns it", earned_text(claim)),
             ("Runs", (claim.runs or "none") + (f" — {links}" if links else ""))]
    if claim.thresholds:
        rows.append(("Verdict at neighbouring thresholds", claim.thresholds))
    rows += [("Note", note) for note in claim.notes]
    if claim.command:
        rows.append(("To get the data", f"`{claim.command}`"))
    return rows


def _claim_markdown(block: Block) -> str:
    claim: Claim = block.content
    lines = [f"### <a id=\"{block.anchor}\"></a>{VERDICT_STYLE[claim.verdict][1]} {claim.verdict.upper()} — "
             f"{claim.statement}", ""]
    lines += [f"- **{name}:** {text}" for name, text in _claim_rows(claim, block.extra)]
    return "\n".join(lines) + "\n"


def _claim_html(block: Block) -> str:
    claim: Claim = block.content
    colour, mark = VERDICT_STYLE[claim.verdict]
    rows = _claim_rows(claim, block.extra)
    body = "".join(f"<dt>{html.escape(k)}</dt><dd>{page_html.inline(v)}</dd>" for k, v in rows)
    return (f"<div class='claim' id='{block.anchor}' style='--c:{colour}'><p><span class='verdict'>{mark} "
            f"{claim.verdict}</span><strong>{html.escape(claim.statement)}</strong></p><dl>{body}</dl></div>")


def render_html(blocks: list[Block], title: str) -> str:
    body: list[str] = []
    toc: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    for block in blocks:
        if block.kind == "heading":
            anchor = block.anchor
            while anchor in seen:  # two headings with one text still get two anchors
                anchor += "-2"
            seen.add(anchor)
            toc.append((block.level, anchor, block.content))
            body.append(f"<h{block.level} id='{anchor}'>{page_html.inline(block.content)}</h{block.level}>")
        elif block.kind == "para":
            body.append(f"<p>{page_html.inline(block.content)}</p>")
        elif block.kind == "list":
            body.append("<ul>" + "".join(f"<li>{page_html.inline(item)}</li>" for item in block.content) + "</ul>")
        elif block.kind == "table":
            tab: Table = block.content
            body.append(f"<p class='caption' id='{block.anchor or _table_anchor(tab)}'><strong>"
                        f"{html.escape(tab.title)}.</strong> {page_html.inline(tab.caption)} "
                        f"(<a href='{tab.name}.csv'>{tab.name}.csv</a>)</p>{page_html.table_html(tab.display)}")
        elif block.kind == "frame":
            body.append(page_html.table_html(block.content))
        elif block.kind == "figure":
            fig: Figure = block.content
            data = base64.b64encode(fig.path.read_bytes()).decode("ascii")
            body.append(f"<figure id='fig-{page_html.slug(fig.name)}'><img alt='{html.escape(fig.title)}' "
                        f"src='data:image/png;base64,{data}'><figcaption><strong>{html.escape(fig.title)}.</strong> "
                        f"{page_html.inline(fig.caption)} (<a href='{html.escape(fig.path.name)}'>"
                        f"{html.escape(fig.path.name)}</a>)</figcaption></figure>")
        elif block.kind == "claim":
            body.append(_claim_html(block))
        elif block.kind == "runs":
            body.append(runs_html(block.content))
        elif block.kind == "sweepview":
            sweep: SweepPoints = block.content
            body.append(f"<p class='caption' id='sweepview-{page_html.slug(sweep.dataset)}'>"
                        f"{page_html.inline(_sweep_caption(sweep).replace(' (interactive view in index.html)', ''))}"
                        f"</p>{view_html(sweep)}{page_html.table_html(points_table(sweep))}")
    if any(block.kind == "sweepview" for block in blocks):  # drawn once the views are in the page
        body.append(f"<style>{SWEEP_CSS}</style><script>{SWEEP_SCRIPT}</script>")
    return page_html.document(title, page_html.toc_html(toc), body)


def claim_anchor(index: int) -> str:
    return f"claim-{index + 1}"


def earned_text(claim: Claim) -> str:
    """Which part of ⵟ earns the row's result, as its family measured it."""
    if claim.earned_by:
        return claim.earned_by
    return "n/a" if claim.kind == "analytic" or not claim.run_ids else "not measured"


def seed_words(claim: Claim) -> str:
    """The seed's sentences the row tests (verbatim, LaTeX as Unicode), or where the claim comes from."""
    if claim.quotes:
        return " · ".join(f"{q.seed}: “{latex_to_unicode(q.words)}”" for q in claim.quotes)
    return claim.source


def overview_frame(claims: list[Claim], link: bool = False) -> pd.DataFrame:
    """The report's opening table, one line per row: claim | seed's words | what was measured | verdict |
    convergence | budget-robust | which part of ⵟ earns it (``link``: claims link to their cards, Markdown)."""
    rows = []
    for i, c in enumerate(claims):
        name = claim_name(c) + (f" ({KIND_LABEL[c.kind]})" if c.kind in KIND_LABEL else "")
        measured = c.headline or _first_clause(c.evidence)
        rows.append(dict(zip(OVERVIEW, (
            f"[{_escape_link(name)}](#{claim_anchor(i)})" if link else name, seed_words(c), measured or "—",
            f"{VERDICT_STYLE[c.verdict][1]} {c.verdict}", c.convergence, c.budget_robust, earned_text(c)),
            strict=True)))
    return pd.DataFrame(rows, columns=list(OVERVIEW))


def _first_clause(text: str) -> str:
    """The evidence up to its first "; " — whole clauses only, so that no code span is cut in two."""
    head = text.split("; ")[0]
    return head if head.count("`") % 2 == 0 else text


def verdict_table(claims: list[Claim]) -> pd.DataFrame:
    """The opening table with each claim linking to its card, and the command that adds missing data."""
    frame = overview_frame(claims, link=True)
    if any(c.command for c in claims):
        frame["more data"] = [f"`{c.command}`" if c.command else "" for c in claims]
    return frame


def _escape_link(text: str) -> str:
    return text.replace("[", "\\[").replace("]", "\\]")


def claim_name(claim: Claim) -> str:
    return (claim.short or claim.statement) + (f" [{claim.setting}]" if claim.setting else "")


def untested_block() -> Block:
    return bullets([f"{source}: {claim} — {why}." for source, claim, why in UNTESTED])


def write_page(blocks: list[Block], out_dir: Path, title: str) -> tuple[Path, Path]:
    """Write index.md and index.html into ``out_dir``."""
    md_path, html_path = out_dir / "index.md", out_dir / "index.html"
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = [para(f"Generated {stamp} by `yatbench report`.")]
    md_path.write_text(f"# {title}\n\n" + render_markdown([*header, *blocks]))
    html_path.write_text(render_html([*header, *blocks], title))
    return md_path, html_path
