"""The page as one self-contained HTML file: Markdown text rendered by ``markdown-it-py``, a table of
contents, anchors for every claim, configuration and run, and tables that sort and filter in the
browser (a few lines of inline JavaScript, no server, no network, no external file).

Text in blocks is Markdown (``**bold**``, backticks, ``[label](#anchor)`` links); this module turns
it into HTML, so the page never shows raw Markdown.
"""

from __future__ import annotations

import html
import math
import re
from functools import lru_cache

import pandas as pd

CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;
color:#1f2328;line-height:1.5}
h1{border-bottom:2px solid #0072B2;padding-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #d0d7de}
a{color:#0b5cad}nav.toc{background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;padding:.3em 1em;
font-size:.92em}nav.toc ul{margin:.2em 0;padding-left:1.3em}
table{border-collapse:collapse;margin:.3em 0 1.2em;font-size:.88em}
th,td{border:1px solid #d0d7de;padding:.25em .55em;text-align:left;vertical-align:top}
th{background:#f6f8fa}table.data th{cursor:pointer;user-select:none}table.data th:after{content:' ⇅';color:#999}
tr:nth-child(even) td{background:#fbfbfc}
td.num{text-align:right;font-variant-numeric:tabular-nums}
input.filter{margin:.4em 0 0;padding:.2em .4em;width:18em;font-size:.88em}
figure{margin:1em 0 2em}figure img{max-width:100%;box-sizing:border-box;border:1px solid #eee}
figcaption{font-size:.9em;color:#444;margin-top:.3em}
code{background:#f3f3f3;padding:.1em .3em;border-radius:3px}
.caption{font-size:.9em;color:#444}
.claim{border:1px solid #d0d7de;border-left:6px solid var(--c);border-radius:4px;padding:.4em 1em;margin:1em 0}
.verdict{display:inline-block;color:white;background:var(--c);border-radius:3px;padding:0 .5em;font-weight:600;
font-size:.85em;margin-right:.5em}
.claim dl{display:grid;grid-template-columns:minmax(7em,11em) minmax(0,1fr);gap:.15em 1em}
.claim dt{font-weight:600}.claim dd{margin:0;min-width:0;overflow-wrap:anywhere}
.claim,details.run,figure{max-width:100%;box-sizing:border-box;overflow-wrap:anywhere}
a.top{position:fixed;right:1em;bottom:1em;background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;
padding:.2em .6em;font-size:.85em;text-decoration:none}
details.run{margin:.2em 0 .2em 1em}details.run summary{cursor:pointer}
.run dl{display:grid;grid-template-columns:max-content auto;gap:0 1em;font-size:.85em;margin:.3em 0}
.run dt{font-weight:600}.run dd{margin:0}:target{background:#fff8c5}
@media print{body{max-width:none}figure{page-break-inside:avoid}.claim{page-break-inside:avoid}}
"""

# Sort by clicking a header (numbers by value, text alphabetically), filter with the box above a table;
# a jump to a run (#run-...) opens its collapsed entry, on load and on every later jump.
SCRIPT = r"""
(function(){
function num(t){var m=t.replace(/\u2212/g,'-').replace(/,/g,'').match(/^\s*[-+]?\d*\.?\d+(e[-+]?\d+)?/i);
return m?parseFloat(m[0]):null}
function sortBy(table,col,th){var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
var asc=th.getAttribute('data-dir')!=='asc';th.setAttribute('data-dir',asc?'asc':'desc');
rows.sort(function(a,b){var x=a.cells[col].textContent,y=b.cells[col].textContent,p=num(x),q=num(y);
var c=(p!==null&&q!==null)?p-q:x.localeCompare(y);return asc?c:-c});
rows.forEach(function(r){body.appendChild(r)})}
document.querySelectorAll('table.data').forEach(function(table){
var box=document.createElement('input');box.type='search';box.className='filter';
box.placeholder='filter rows (all words must match)';table.parentNode.insertBefore(box,table);
box.addEventListener('input',function(){var words=box.value.toLowerCase().split(/\s+/).filter(Boolean);
Array.prototype.forEach.call(table.tBodies[0].rows,function(r){var t=r.textContent.toLowerCase();
r.style.display=words.every(function(w){return t.indexOf(w)>=0})?'':'none'})});
Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){
th.addEventListener('click',function(){sortBy(table,i,th)})})});
function openTarget(){var id=decodeURIComponent(location.hash.slice(1)),el=id&&document.getElementById(id);
if(!el)return;for(var p=el;p;p=p.parentElement){if(p.tagName==='DETAILS')p.open=true}el.scrollIntoView()}
window.addEventListener('hashchange',openTarget);openTarget();
document.body.setAttribute('data-ready','1');
})();
"""


@lru_cache(maxsize=1)
def _renderer():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def inline(text: str) -> str:
    """Markdown inline text (bold, code, links) as HTML; anything else is escaped."""
    return _renderer().renderInline(str(text))


def block(text: str) -> str:
    """A Markdown paragraph or list as HTML."""
    return _renderer().render(str(text))


def slug(text: str) -> str:
    """An anchor id: lower case, runs of other characters as one '-'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


SPARK_POINTS = 500  # the most points a run card's inline plot draws
_NUMERIC = re.compile(r"^\s*[−\-+]?\d")


def table_html(frame: pd.DataFrame, sortable: bool = True, markdown_cells: bool = True) -> str:
    """A DataFrame as an HTML table (cells may hold inline Markdown, e.g. links); sortable and filterable."""
    if frame.empty:
        return "<p><em>(no rows)</em></p>"
    cell = inline if markdown_cells else (lambda v: html.escape(str(v)))
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False):
        cells = []
        for value in values:
            text = str(value)
            cls = " class=num" if _NUMERIC.match(text) else ""
            cells.append(f"<td{cls}>{cell(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cls = " class='data'" if sortable else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def toc_html(entries: list[tuple[int, str, str]]) -> str:
    """A list of links from (level, anchor, title): level-2 headings, level-3 ones nested under them."""
    out, item_open, sub_open = ["<nav class='toc' id='contents'><strong>Contents</strong><ul>"], False, False
    for level, anchor, title in entries:
        link = f"<a href='#{anchor}'>{inline(title)}</a>"
        if level >= 3 and item_open:
            if not sub_open:
                out.append("<ul>")
                sub_open = True
            out.append(f"<li>{link}</li>")
            continue
        if sub_open:
            out.append("</ul>")
            sub_open = False
        if item_open:
            out.append("</li>")
        out.append(f"<li>{link}")
        item_open = True
    out.append(("</ul>" if sub_open else "") + ("</li>" if item_open else "") + "</ul></nav>")
    return "".join(out)


def sparkline(xs: list[float], ys: list[float], width: int = 300, height: int = 70, x_label: str = "step") -> str:
    """A small inline SVG of ys against xs with its axes: the value range on the left, the steps below."""
    points = [(x, y) for x, y in zip(xs, ys, strict=False) if math.isfinite(x) and math.isfinite(y)]
    if len(points) > SPARK_POINTS:  # a long history: every k-th point (and the last) is all the width can show
        points = points[::-(-len(points) // SPARK_POINTS)] + points[-1:]
    if len(points) < 2:
        return "<em>(fewer than 2 points recorded)</em>"
    left, bottom, top, right = 52, 16, 4, 6  # room for the tick labels
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
    sx = (width - left - right) / ((x1 - x0) or 1)
    sy = (height - top - bottom) / ((y1 - y0) or 1)
    base = height - bottom
    path = " ".join(f"{left + (x - x0) * sx:.1f},{base - (y - y0) * sy:.1f}" for x, y in points)
    text = "font-size='9' fill='#555' font-family='sans-serif'"
    return (f"<svg class='spark' width='{width}' height='{height}' viewBox='0 0 {width} {height}' role='img' "
            f"aria-label='{html.escape(x_label)} {x0:g} to {x1:g}, value {y0:.4g} to {y1:.4g}'>"
            f"<path d='M{left},{top}V{base}H{width - right}' fill='none' stroke='#999' stroke-width='1'/>"
            f"<text x='{left - 3}' y='{top + 8}' text-anchor='end' {text}>{y1:.3g}</text>"
            f"<text x='{left - 3}' y='{base}' text-anchor='end' {text}>{y0:.3g}</text>"
            f"<text x='{left}' y='{height - 3}' {text}>{x0:g}</text>"
            f"<text x='{width - right}' y='{height - 3}' text-anchor='end' {text}>{x1:g}</text>"
            f"<text x='{(left + width - right) / 2:.0f}' y='{height - 3}' text-anchor='middle' {text}>"
            f"{html.escape(x_label)}</text>"
            f"<polyline fill='none' stroke='#0072B2' stroke-width='1.5' points='{path}'/></svg>")


def document(title: str, toc: str, body: list[str]) -> str:
    """The whole page: head with inline CSS, the title, the contents, the body, the inline script."""
    return "\n".join([f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}"
                      f"</title><style>{CSS}</style></head><body>", f"<h1 id='top'>{html.escape(title)}</h1>",
                      *body[:1], toc, *body[1:], "<a class='top' href='#top'>↑ back to top</a>",
                      f"<script>{SCRIPT}</script></body></html>"])
