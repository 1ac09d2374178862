"""The report page in a real browser (headless Chromium; skipped when none is installed: `make test-browser`
installs it): no card spills out of its box at a desktop or a narrow window, every internal link lands on an
element, a jump to a run opens its collapsed entry, and the seed quotes show mathematics, not LaTeX."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_report import fab  # noqa: F401  (the fabricated results folder and its report, built once)
from tests.test_sweep_view import MSE, swept, swept_report  # noqa: F401  (a swept folder and its report)

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]

# Measures the laid-out page and writes what it found into the DOM, for --dump-dom to carry back: a card
# overflows when its content is wider than its box or any element in it reaches past its edges (a floated
# label hanging below the card counts).
PROBE = """
(function(){var open=[];document.querySelectorAll('details[open]').forEach(function(d){open.push(d.id)});
document.querySelectorAll('details').forEach(function(d){d.open=true});  // every run's entry is measured open
var over=[];document.querySelectorAll('.claim, details.run, figure').forEach(function(card){
var r=card.getBoundingClientRect(),name=card.id||card.className,bad=card.scrollWidth>card.clientWidth+1;
card.querySelectorAll('*').forEach(function(e){var q=e.getBoundingClientRect();
if(q.width>0&&q.height>0&&(q.right>r.right+1||q.bottom>r.bottom+1||q.left<r.left-1))bad=true});
if(bad)over.push(name)});
var links=document.querySelectorAll('a[href^="#"]'),missing=[];
links.forEach(function(a){var id=decodeURIComponent(a.getAttribute('href').slice(1));
if(!document.getElementById(id))missing.push(id)});
var out=document.createElement('pre');out.id='probe';
var views=[];document.querySelectorAll('.sweepview').forEach(function(v){views.push({drawn:+v.getAttribute(
'data-drawn'),lines:v.querySelectorAll('polyline').length,modes:v.querySelectorAll('option').length})});
out.textContent=JSON.stringify({overflow:over,links:links.length,missing:missing,open:open,views:views,
cards:document.querySelectorAll('.claim').length});document.body.appendChild(out)})();
"""


def browser() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        pytest.skip("no headless Chromium installed: `make test-browser` installs it (apt-get install chromium)")
    return found


def probe(page: Path, tmp_path: Path, width: int, fragment: str = "") -> dict:
    """Load a copy of ``page`` with :data:`PROBE` appended at ``width`` px and return what it measured."""
    probed = page.with_name("probe.html")
    probed.write_text(page.read_text().replace("</body>", f"<script>{PROBE}</script></body>"))
    done = subprocess.run([browser(), *FLAGS, f"--user-data-dir={tmp_path / f'profile-{width}'}",
                           f"--window-size={width},900", "--dump-dom", probed.resolve().as_uri() + fragment],
                          capture_output=True, text=True, timeout=180)
    probed.unlink()
    assert done.returncode == 0, done.stderr[-2000:]
    found = re.search(r"<pre id=\"probe\">(.*?)</pre>", done.stdout, flags=re.S)
    assert found, done.stdout[-2000:]
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize("width", [1280, 700])
def test_no_card_overflows_and_every_anchor_resolves(fab, tmp_path: Path, width: int) -> None:  # noqa: F811
    seen = probe(fab.index_html, tmp_path, width)
    assert seen["cards"] == len(fab.claims) and seen["links"] > len(fab.claims)
    assert seen["overflow"] == [], seen["overflow"]
    assert seen["missing"] == [], seen["missing"]


def test_a_jump_to_a_run_opens_it(fab, tmp_path: Path) -> None:  # noqa: F811
    run_id = str(fab.table.runs["run_id"].iloc[-1])
    seen = probe(fab.index_html, tmp_path, 1280, f"#run-{run_id}")
    assert seen["open"] == [f"run-{run_id}"]
    assert probe(fab.index_html, tmp_path, 1280)["open"] == []  # collapsed unless asked for


def test_the_page_shows_mathematics_not_latex(fab) -> None:  # noqa: F811
    text = fab.index_html.read_text()
    quotes = re.findall(r"<dt>Seed&#x27;s words</dt><dd>(.*?)</dd>|<dt>Seed's words</dt><dd>(.*?)</dd>", text)
    shown = " ".join(a or b for a, b in quotes)
    assert quotes and "$" not in shown and "\\" not in shown, shown
    assert "𝐰 ⊥ 𝐱" in shown and "τ → 0" in shown and "‖𝐰‖⁴/ε" in shown
    assert "<a class='top' href='#top'>" in text and "id='top'" in text


def test_the_sweep_view_draws_every_configuration(swept_report, tmp_path: Path) -> None:  # noqa: F811
    seen = probe(swept_report.index_html, tmp_path, 1000)
    assert seen["views"] == [{"drawn": len(MSE) + 1, "lines": len(MSE) + 1, "modes": 1 + 2}]  # parallel + 2 keys
    assert seen["overflow"] == [] and seen["missing"] == []
