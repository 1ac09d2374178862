"""The index page: ``index.md`` (images by file name) and a self-contained ``index.html``
(images embedded as base64 data URIs, tables as HTML, no external files, scripts or fonts).

The page is built once as a list of blocks and rendered to both formats, so they say the same.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from yatbench.report.claims import CONTRADICTED, NOT_ENOUGH, SUPPORTED, UNTESTED, Claim
from yatbench.report.figures import Figure
from yatbench.report.tables import Table, to_markdown

VERDICT_STYLE = {SUPPORTED: ("#1a7f37", "✔"), CONTRADICTED: ("#b42318", "✘"), NOT_ENOUGH: ("#6b6b6b", "?")}


@dataclass
class Block:
    """One piece of the page: a heading, a paragraph, a list, a table, a figure or a claim."""

    kind: str
    content: Any
    level: int = 2


def heading(text: str, level: int = 2) -> Block:
    return Block("heading", text, level)


def para(text: str) -> Block:
    return Block("para", text)


def bullets(items: list[str]) -> Block:
    return Block("list", items)


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
            out.append(f"**{tab.title}.** {tab.caption} (`{tab.name}.csv`)\n\n{to_markdown(tab.display)}")
        elif block.kind == "frame":
            out.append(to_markdown(block.content))
        elif block.kind == "figure":
            fig: Figure = block.content
            out.append(f"![{fig.title}]({fig.path.name})\n\n*{fig.caption}*\n")
        elif block.kind == "claim":
            out.append(_claim_markdown(block.content))
    return "\n".join(out)


def _claim_markdown(claim: Claim) -> str:
    lines = [f"### {VERDICT_STYLE[claim.verdict][1]} {claim.verdict.upper()} — {claim.statement}", "",
             f"- **Source:** {claim.source}"]
    lines += [f"- **Seed's words:** {quote}" for quote in claim.quotes]
    if claim.setting:
        lines.append(f"- **Configuration:** {claim.setting} (`{claim.config}`)")
    lines += [
             f"- **Measurement:** {claim.measurement}",
             f"- **Decision rule:** {claim.rule}",
             f"- **Result:** {claim.evidence}",
             f"- **Runs:** {claim.runs}"]
    if claim.thresholds:
        lines.append(f"- **Verdict at neighbouring thresholds:** {claim.thresholds}")
    lines += [f"- **Note:** {note}" for note in claim.notes]
    if claim.command:
        lines.append(f"- **To get the data:** `{claim.command}`")
    return "\n".join(lines) + "\n"


CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;
color:#1f2328;line-height:1.5}
h1{border-bottom:2px solid #0072B2;padding-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.88em}
th,td{border:1px solid #d0d7de;padding:.25em .55em;text-align:left;vertical-align:top}
th{background:#f6f8fa}tr:nth-child(even) td{background:#fbfbfc}
td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0 2em}figure img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.9em;color:#444;margin-top:.3em}
code{background:#f3f3f3;padding:.1em .3em;border-radius:3px}
.caption{font-size:.9em;color:#444}
.claim{border:1px solid #d0d7de;border-left:6px solid var(--c);border-radius:4px;padding:.4em 1em;margin:1em 0}
.verdict{display:inline-block;color:white;background:var(--c);border-radius:3px;padding:0 .5em;font-weight:600;
font-size:.85em;margin-right:.5em}
.claim dt{font-weight:600;float:left;width:9em;clear:left}.claim dd{margin-left:10em;margin-bottom:.3em}
@media print{body{max-width:none}figure{page-break-inside:avoid}.claim{page-break-inside:avoid}}
"""


def _html_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p><em>(no rows)</em></p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for value in row.tolist():
            text = str(value)
            numeric = text[:1].isdigit() or (text[:1] in "−-+[" and any(ch.isdigit() for ch in text[:3]))
            cells.append(f"<td{' class=num' if numeric else ''}>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _inline(text: str) -> str:
    """Escape, then turn `code` spans into <code>."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def render_html(blocks: list[Block], title: str) -> str:
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
           f"<style>{CSS}</style></head><body>"]
    for block in blocks:
        if block.kind == "heading":
            anchor = "".join(ch if ch.isalnum() else "-" for ch in block.content.lower()).strip("-")
            out.append(f"<h{block.level} id='{anchor}'>{_inline(block.content)}</h{block.level}>")
        elif block.kind == "para":
            out.append(f"<p>{_inline(block.content)}</p>")
        elif block.kind == "list":
            out.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in block.content) + "</ul>")
        elif block.kind == "table":
            tab: Table = block.content
            out.append(f"<p class='caption'><strong>{html.escape(tab.title)}.</strong> {_inline(tab.caption)} "
                       f"(<code>{tab.name}.csv</code>)</p>{_html_table(tab.display)}")
        elif block.kind == "frame":
            out.append(_html_table(block.content))
        elif block.kind == "figure":
            fig: Figure = block.content
            data = base64.b64encode(fig.path.read_bytes()).decode("ascii")
            out.append(f"<figure><img alt='{html.escape(fig.title)}' src='data:image/png;base64,{data}'>"
                       f"<figcaption><strong>{html.escape(fig.title)}.</strong> {_inline(fig.caption)} "
                       f"(<code>{html.escape(fig.path.name)}</code>)</figcaption></figure>")
        elif block.kind == "claim":
            out.append(_claim_html(block.content))
    out.append("</body></html>")
    return "\n".join(out)


def _claim_html(claim: Claim) -> str:
    colour, mark = VERDICT_STYLE[claim.verdict]
    rows = [("Source", claim.source), *(("Seed's words", str(q)) for q in claim.quotes)]
    if claim.setting:
        rows.append(("Configuration", f"{claim.setting} ({claim.config})"))
    rows += [("Measurement", claim.measurement), ("Decision rule", claim.rule), ("Result", claim.evidence),
             ("Runs", claim.runs)]
    if claim.thresholds:
        rows.append(("Verdict at neighbouring thresholds", claim.thresholds))
    rows += [("Note", note) for note in claim.notes]
    if claim.command:
        rows.append(("To get the data", f"`{claim.command}`"))
    body = "".join(f"<dt>{k}</dt><dd>{_inline(v)}</dd>" for k, v in rows)
    return (f"<div class='claim' style='--c:{colour}'><p><span class='verdict'>{mark} {claim.verdict}</span>"
            f"<strong>{html.escape(claim.statement)}</strong></p><dl>{body}</dl></div>")


def verdict_table(claims: list[Claim]) -> pd.DataFrame:
    """One line per claim for the top of the page."""
    return pd.DataFrame([{"verdict": f"{VERDICT_STYLE[c.verdict][1]} {c.verdict}", "claim": claim_name(c),
                          "deciding number": c.headline or "—",
                          "source": c.source.split(" (")[0],
                          "more data": f"`{c.command}`" if c.command else ""} for c in claims])


def claim_name(claim: Claim) -> str:
    return (claim.short or claim.statement) + (f" [{claim.setting}]" if claim.setting else "")


def untested_block() -> Block:
    return bullets([f"{source}: {claim} — {why}." for source, claim, why in UNTESTED])


def write_page(blocks: list[Block], out_dir: Path, title: str) -> tuple[Path, Path]:
    """Write index.md and index.html into ``out_dir``."""
    md_path, html_path = out_dir / "index.md", out_dir / "index.html"
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = [Block("heading", title, 1), para(f"Generated {stamp} by `yatbench report`.")]
    md_path.write_text(render_markdown([*header, *blocks]))
    html_path.write_text(render_html([*header, *blocks], title))
    return md_path, html_path
