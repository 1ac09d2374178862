"""Seed quotes' inline LaTeX shown as Unicode on the page (issue 23): every formula written in the claims'
quotes converts to text with no backslash, brace or dollar sign left, and known formulas read as on paper."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import yatbench.report.claims as claims_package
from yatbench.report.latex import latex_to_unicode, math_to_unicode


def quoted_strings() -> list[str]:
    """Every string literal in the claims' modules that holds a formula (read from the source, not listed)."""
    found = []
    for path in sorted(Path(claims_package.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.count("$") >= 2:
                found.append(node.value)
    return found


def test_every_formula_in_the_claims_quotes_converts_cleanly() -> None:
    strings = quoted_strings()
    assert len(strings) >= 6
    for text in strings:
        shown = latex_to_unicode(text)
        assert not set("\\${}") & set(shown), (text, shown)


@pytest.mark.parametrize(("tex", "text"), [
    (r"\text{ⵟ}(\mathbf{w}, \mathbf{x}) = 0", "ⵟ(𝐰, 𝐱) = 0"),
    (r"\mathbf{w} \perp \mathbf{x}", "𝐰 ⊥ 𝐱"),
    (r"0 \le \|\mathbf{w}\|^4/\epsilon", "0 ≤ ‖𝐰‖⁴/ε"),
    (r"\tau \to \infty", "τ → ∞"),
    (r"(w \cdot x)^2", "(w · x)²"),
    (r"x_i^2 + \sum_{ij} w_{ij}", "xᵢ² + ∑ᵢⱼ wᵢⱼ"),
    (r"e^{-\lambda t}", "e^(-λ t)"),
    (r"\unknown{a}", "unknowna"),
])
def test_formulas_read_as_on_paper(tex: str, text: str) -> None:
    assert math_to_unicode(tex) == text


def test_only_formulas_change() -> None:
    assert latex_to_unicode("costs $5 and $6, not $x$") == "costs $5 and $6, not x"
    assert latex_to_unicode("no maths here") == "no maths here"
