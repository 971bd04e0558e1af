"""Imports only go down: the layers of `moonly/` (README, Layout) and no import cycle.

Each module belongs to one layer of LAYERS, top to bottom. A module imports from its
own layer or the layers below it, never from a layer above; the feature blueprints
never import one another (what two of them share moves down); and no cycle of imports
runs between modules. Read from the source with `ast`, every import counts: those at
the top of a module, inside functions and under `if TYPE_CHECKING:`.

The offline Stripe (`moonly/stripe_sandbox/`) is a library apart, with its own test
(tests/stripe_sandbox/test_sandbox_imports.py); here it only checks that the app
reaches it through `billing.stripe_api` alone.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "moonly"
SANDBOX = "moonly.stripe_sandbox"
SANDBOX_DOOR = "moonly.billing.stripe_api"

# Top to bottom: (layer, its packages and modules). A name covers its submodules,
# except the package itself ("moonly": the app factory, create_app).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    # The app: the factory and what wraps every request.
    ("app", ("moonly", "moonly.config", "moonly.hosts", "moonly.health",
             "moonly.security", "moonly.sessions", "moonly.serve")),
    # One blueprint per feature (the account pages are checkout's); none imports
    # another.
    ("features", ("moonly.landing", "moonly.auth", "moonly.checkout", "moonly.demo",
                  "moonly.webhooks", "moonly.api")),
    # Invite links, and the signup that records a referral (scenario A or B).
    ("referral", ("moonly.referral",)),
    # The Cello API, its outbox, the Referral component (connect-stripe uses Stripe).
    ("cello", ("moonly.cello",)),
    # Stripe: the one module that talks to it, the catalog, checkout, sync.
    ("billing", ("moonly.billing",)),
    # Users and organizations, the account rules.
    ("accounts", ("moonly.accounts",)),
    # What everything uses and that uses nothing of Moonly's above it.
    ("base", ("moonly.extensions", "moonly.ids", "moonly.timeutil",
              "moonly.redirects", "moonly.caching", "moonly.background")),
]  # fmt: skip
SIDE_BY_SIDE = {"features"}  # layers whose members never import one another


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module or package
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Every module of moonly/ but the sandbox's, by dotted name."""
    found = {module_name(path): path for path in (ROOT / PACKAGE).rglob("*.py")}
    return {name: path for name, path in found.items() if not inside(name, SANDBOX)}


def inside(module: str, name: str) -> bool:
    return module == name or module.startswith(name + ".")


def imports_of(
    module: str, source: str, *, is_package: bool, known: set[str]
) -> list[Import]:
    """The imports of Moonly's modules in `source`, as absolute dotted names; `from
    package import name` names the submodule when `name` is one of `known`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")[: None if is_package else -1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join(package + ([node.module] if node.module else []))
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        found += [Import(module, t, node.lineno) for t in targets if inside(t, PACKAGE)]
    return found


def all_imports() -> list[Import]:
    found = modules()
    known = set(found)
    return [
        edge
        for name, path in sorted(found.items())
        for edge in imports_of(
            name,
            path.read_text(),
            is_package=path.name == "__init__.py",
            known=known,
        )
    ]


def member_of(module: str) -> tuple[int, str, str] | None:
    """(rank from the top, layer, the package or module in LAYERS) of a module."""
    for rank, (layer, members) in enumerate(LAYERS):
        for member in members:
            if module == member or (member != PACKAGE and inside(module, member)):
                return rank, layer, member
    return None


def upward_or_sideways(imports: list[Import]) -> list[str]:
    """Each import that goes up a layer, or across to a feature beside its own."""
    problems = []
    for found in imports:
        if inside(found.target, SANDBOX):
            continue
        source, target = member_of(found.source), member_of(found.target)
        assert source is not None and target is not None, found
        where = f"{found.source}:{found.line} imports {found.target}"
        if target[0] < source[0]:
            problems.append(f"{where}: {target[1]} is above {source[1]}")
        elif target[0] == source[0] and target[1] in SIDE_BY_SIDE:
            if target[2] != source[2]:
                problems.append(f"{where}: {target[2]} is a feature beside it")
    return problems


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of imports, if there is any."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return path[path.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def module_graph(imports: list[Import]) -> dict[str, set[str]]:
    """Who imports whom, leaving out a package's imports of its own modules: Python
    loads a package before its modules anyway, and a blueprint package defines `bp`,
    then imports its views, which import `bp` back."""
    graph: dict[str, set[str]] = {}
    for found in imports:
        if inside(found.target, SANDBOX) or inside(found.target, found.source):
            continue
        graph.setdefault(found.source, set()).add(found.target)
    return graph


def test_every_module_has_a_layer():
    unplaced = sorted(name for name in modules() if member_of(name) is None)
    assert not unplaced, f"Put these in a layer of LAYERS: {unplaced}"


def test_imports_only_go_down():
    problems = upward_or_sideways(all_imports())
    assert not problems, "\n".join(problems)


def test_no_import_cycle():
    found = cycle(module_graph(all_imports()))
    assert found is None, " -> ".join(found or [])


def test_nothing_imports_the_app_factory():
    importers = [f"{i.source}:{i.line}" for i in all_imports() if i.target == PACKAGE]
    assert not importers, importers


def test_the_app_reaches_the_offline_stripe_through_stripe_api_alone():
    doors = {i.source for i in all_imports() if inside(i.target, SANDBOX)}
    assert doors == {SANDBOX_DOOR}


def test_the_check_sees_an_upward_import_inside_a_function():
    """The check itself: an import deferred into a function still counts."""
    source = "def f():\n    from ..billing.customers import ensure_customer\n"
    found = imports_of(
        "moonly.accounts.service", source, is_package=False, known=set(modules())
    )
    assert found == [Import("moonly.accounts.service", "moonly.billing.customers", 2)]
    assert upward_or_sideways(found) == [
        "moonly.accounts.service:2 imports moonly.billing.customers: "
        "billing is above accounts"
    ]


def test_the_check_sees_a_feature_importing_another():
    source = "if TYPE_CHECKING:\n    from ..auth import views\n"
    found = imports_of(
        "moonly.demo.views", source, is_package=False, known=set(modules())
    )
    assert upward_or_sideways(found) == [
        "moonly.demo.views:2 imports moonly.auth.views: moonly.auth is a feature "
        "beside it"
    ]


def test_the_check_sees_a_cycle():
    graph = {
        "moonly.a": {"moonly.b"},
        "moonly.b": {"moonly.c"},
        "moonly.c": {"moonly.a"},
    }
    assert cycle({**graph, "moonly.c": set()}) is None
    assert cycle(graph) == ["moonly.a", "moonly.b", "moonly.c", "moonly.a"]


def test_the_readme_draws_the_same_layers():
    layout = (ROOT / "README.md").read_text().split("## Layout", 1)[1]
    drawing = layout.split("```\n")[1]
    assert [line.split()[0] for line in drawing.splitlines()] == [
        layer for layer, _ in LAYERS
    ]
