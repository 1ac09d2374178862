"""The inline LaTeX of seed quotes (``$\\mathbf{w} \\perp \\mathbf{x}$``, ``$\\tau \\to 0$``) as Unicode text.

The quotes stay verbatim in the claims (:class:`yatbench.report.claims.base.Quote`); the page shows
their mathematics as a reader of the paper would see it: bold vectors, Greek letters, operators,
super- and subscripts. Only what sits between ``$`` signs is converted; an unknown command keeps its
name without the backslash, so nothing is ever dropped.
"""

from __future__ import annotations

import re

GREEK = {name: chr(code) for name, code in (
    ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3B5),
    ("varepsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("iota", 0x3B9), ("kappa", 0x3BA),
    ("lambda", 0x3BB), ("mu", 0x3BC), ("nu", 0x3BD), ("xi", 0x3BE), ("pi", 0x3C0), ("rho", 0x3C1),
    ("sigma", 0x3C3), ("tau", 0x3C4), ("upsilon", 0x3C5), ("phi", 0x3C6), ("varphi", 0x3C6), ("chi", 0x3C7),
    ("psi", 0x3C8), ("omega", 0x3C9), ("Gamma", 0x393), ("Delta", 0x394), ("Theta", 0x398), ("Lambda", 0x39B),
    ("Sigma", 0x3A3), ("Phi", 0x3A6), ("Psi", 0x3A8), ("Omega", 0x3A9))}
SYMBOLS = {"cdot": "·", "times": "×", "perp": "⊥", "approx": "≈", "to": "→", "rightarrow": "→", "infty": "∞",
           "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "neq": "≠", "ne": "≠", "pm": "±", "in": "∈",
           "sum": "∑", "prod": "∏", "partial": "∂", "nabla": "∇", "|": "‖", "mid": "|", "propto": "∝",
           "sim": "∼", "cdots": "⋯", "ldots": "…", "dots": "…", "quad": " ", ",": " ", ";": " ", "!": "",
           "langle": "⟨", "rangle": "⟩", "lVert": "‖", "rVert": "‖", "Vert": "‖", "log": "log", "exp": "exp",
           "max": "max", "min": "min", "arg": "arg", "left": "", "right": ""}
SUPERSCRIPT = str.maketrans("0123456789+-=()niT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵀ")
SUBSCRIPT = str.maketrans("0123456789+-=()aeiojklmnprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢₒⱼₖₗₘₙₚᵣₛₜᵤᵥₓ")
SUPERSCRIPT_CHARS = set("0123456789+-=()niT")
SUBSCRIPT_CHARS = set("0123456789+-=()aeiojklmnprstuvx")


def _bold(text: str) -> str:
    """Mathematical bold letters and digits (𝐰, 𝐱, 𝟎)."""
    out = []
    for char in text:
        if "a" <= char <= "z":
            out.append(chr(0x1D41A + ord(char) - ord("a")))
        elif "A" <= char <= "Z":
            out.append(chr(0x1D400 + ord(char) - ord("A")))
        elif "0" <= char <= "9":
            out.append(chr(0x1D7CE + ord(char) - ord("0")))
        else:
            out.append(char)
    return "".join(out)


_GROUP = r"\{([^{}]*)\}"
_SCRIPT = re.compile(r"([\^_])(?:\{([^{}]*)\}|(\\?[A-Za-z0-9]))")


def _script(match: re.Match[str]) -> str:
    mark, body = match.group(1), match.group(2) if match.group(2) is not None else match.group(3)
    chars, table = (SUPERSCRIPT_CHARS, SUPERSCRIPT) if mark == "^" else (SUBSCRIPT_CHARS, SUBSCRIPT)
    if body and set(body) <= chars:
        return body.translate(table)
    return f"{mark}({body})" if len(body) > 1 else f"{mark}{body}"


def math_to_unicode(tex: str) -> str:
    """One formula (the text between ``$`` signs) as Unicode."""
    text = tex
    for _ in range(3):  # nested groups: \mathbf{\hat{w}}
        text = re.sub(r"\\(?:mathbf|boldsymbol|vec)" + _GROUP, lambda m: _bold(m.group(1)), text)
        text = re.sub(r"\\(?:text|mathrm|operatorname|mathit|textrm)" + _GROUP, lambda m: m.group(1), text)
        text = re.sub(r"\\hat" + _GROUP, lambda m: m.group(1) + "\u0302", text)
        text = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", lambda m: f"({m.group(1)})/({m.group(2)})", text)
        text = re.sub(r"\\sqrt" + _GROUP, lambda m: f"√({m.group(1)})", text)
    text = re.sub(r"\\([A-Za-z]+|[|,;!])", lambda m: GREEK.get(m.group(1)) or SYMBOLS.get(m.group(1), m.group(1)),
                  text)
    text = _SCRIPT.sub(_script, text)
    text = text.replace("{", "").replace("}", "")
    return re.sub(r"\s+", " ", text).strip()


def latex_to_unicode(text: str) -> str:
    """``text`` with every ``$...$`` formula converted (:func:`math_to_unicode`); the rest unchanged.

    As in Pandoc, a formula's ``$`` signs hug it (no space inside) and a closing ``$`` is not followed by a
    digit, so prices ("$5 and $6") stay text.
    """
    return re.sub(r"\$(?=\S)([^$]*?\S)\$(?!\d)", lambda m: math_to_unicode(m.group(1)), text)
