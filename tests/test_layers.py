"""The tree is the layer diagram: every import points down it, and no two modules import each other in a circle.

Each package under ``yatbench/`` declares in its ``__init__`` the layers it may import (``MAY_IMPORT``);
these checks read the source (every ``import``, lazy ones inside functions too), so a new module or a new
package is checked without anyone adding it here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "yatbench"
# The package's own __init__ (``__version__``, the lazy Python API) may be imported from anywhere.
TOP_MODULES = {"__init__", "__main__", "api"}


def packages() -> dict[str, Path]:
    """Every layer: a folder directly under yatbench/ with an ``__init__.py``."""
    return {p.name: p for p in sorted(ROOT.iterdir()) if (p / "__init__.py").is_file()}


def may_import(package: Path) -> tuple[str, ...]:
    """The ``MAY_IMPORT`` tuple of a package's ``__init__``, read without importing it."""
    for node in ast.parse((package / "__init__.py").read_text(encoding="utf-8")).body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
        if isinstance(target, ast.Name) and target.id == "MAY_IMPORT" and node.value is not None:
            return tuple(ast.literal_eval(node.value))
    raise AssertionError(f"{package.name}/__init__.py declares no MAY_IMPORT")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute dotted name) of every yatbench import in a file, at any depth."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names = [".".join([*base, node.module] if node.module else base)]
            else:
                names = [node.module or ""]
        else:
            continue
        for name in names:
            if name == "yatbench" or name.startswith("yatbench."):
                yield node.lineno, name


def layer_of(dotted: str) -> str | None:
    """The layer a ``yatbench.<layer>...`` name belongs to (None for the package's own top modules)."""
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 and (ROOT / parts[1] / "__init__.py").is_file() else None


def test_only_layers_sit_at_the_top() -> None:
    """Apart from the package's entry points, every module lives in a layer package."""
    loose = {p.stem for p in ROOT.glob("*.py")} - TOP_MODULES
    assert not loose, f"modules outside a layer package: {sorted(loose)}"


@pytest.mark.parametrize("name", sorted(packages()))
def test_each_layer_says_what_it_owns_and_may_import(name: str) -> None:
    package = packages()[name]
    tree = ast.parse((package / "__init__.py").read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree)
    assert doc and len(doc.split()) >= 10, f"{name}/__init__.py needs a docstring saying what it owns"
    allowed = may_import(package)
    unknown = set(allowed) - set(packages())
    assert not unknown, f"{name}: MAY_IMPORT names {sorted(unknown)}, which are not layers"
    assert name not in allowed


def test_the_layers_form_a_diagram_not_a_circle() -> None:
    """The MAY_IMPORT relation has no cycle: the layers can be drawn bottom to top."""
    allowed = {name: set(may_import(path)) for name, path in packages().items()}
    placed: list[str] = []
    while len(placed) < len(allowed):
        ready = sorted(n for n, deps in allowed.items() if n not in placed and deps <= set(placed))
        assert ready, f"MAY_IMPORT has a cycle among {sorted(set(allowed) - set(placed))}"
        placed += ready
    assert placed[0] == "core" and not allowed["core"], "core is the bottom layer and imports no other"


def test_every_import_points_down_the_diagram() -> None:
    """A module imports its own layer, a layer its package's ``MAY_IMPORT`` names, or ``yatbench`` itself."""
    allowed = {name: set(may_import(path)) | {name} for name, path in packages().items()}
    wrong = []
    for name, package in packages().items():
        for path in sorted(package.rglob("*.py")):
            for line, target in imported(path):
                layer = layer_of(target)
                if target == "yatbench":
                    continue  # __version__ and the lazy API: the package's own cheap __init__
                if layer is None or layer not in allowed[name]:
                    wrong.append(f"{path.relative_to(ROOT.parent)}:{line} ({name}) imports {target}")
    assert not wrong, "imports that climb the diagram:\n" + "\n".join(wrong)


def test_no_module_cycles() -> None:
    """No two modules import each other in a circle, within a layer too (lazy imports included)."""
    graph: dict[str, set[str]] = {}
    files = {module_name(p): p for p in ROOT.rglob("*.py")}
    for name, path in files.items():
        graph[name] = set()
        for _, target in imported(path):
            while target not in files and "." in target:
                target = target.rpartition(".")[0]  # from pkg.module import name → pkg.module
            if target in files and target != name:
                graph[name].add(target)
    # A package's __init__ that re-exports its modules is imported by them implicitly: leave those edges out.
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            pytest.fail("import cycle: " + " → ".join(cycle))
