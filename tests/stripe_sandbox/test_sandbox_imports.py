"""The sandbox's imports: nothing of the app, and no circle among its own modules.

Read from the source with `ast`, every import counts: those inside functions and under
`if TYPE_CHECKING:` too, so a circle cannot be hidden by deferring one of its imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import moonly.stripe_sandbox

PACKAGE = Path(moonly.stripe_sandbox.__file__).parent
NAME = "moonly.stripe_sandbox"


def _imports(path: Path) -> set[str]:
    """The modules `path` imports, as absolute dotted names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(node.module or "")
            elif node.module:
                found.add(f"{NAME}.{node.module}")
            else:  # `from . import a, b`
                found.update(f"{NAME}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {f"{NAME}.{p.stem}": p for p in PACKAGE.glob("*.py")}
    return {name: _imports(path) & set(modules) for name, path in modules.items()}


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of imports, if there is any."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        state[module] = "done"
        path.pop()
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_the_sandbox_imports_nothing_of_the_app():
    outside = {
        (path.name, module)
        for path in PACKAGE.glob("*.py")
        for module in _imports(path)
        if module.split(".")[0] == "moonly" and not module.startswith(NAME)
    }
    assert outside == set()


def test_the_sandbox_has_no_import_circle():
    graph = _graph()
    assert len(graph) > 40  # every module was read
    assert f"{NAME}.store" in graph[f"{NAME}.api"]  # and its imports with it
    circle = _circle(graph)
    assert circle is None, " -> ".join(circle or [])


def test_a_circle_would_be_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circle(graph) == ["a", "b", "c", "a"]
    assert _circle({"a": {"b"}, "b": set()}) is None
