"""Import rules of the gpassist package, read from the source with ``ast`` (nothing is imported).

1. Nothing outside ``gpassist/web/`` imports ``gpassist.web`` (pages sit on top of the service);
   only the app factory (``gpassist/__init__.py``) calls ``init_web`` to mount them.
2. No capability imports another capability's ``api`` module: shared request helpers live in
   ``endpoints.py``, serializers in each capability's ``present.py``. ``gpassist/__init__.py``
   registers the blueprints and is not a capability.
3. No import cycle among gpassist modules, neither at module level nor through the imports
   inside functions.
4. Serving the diagnosis and TCM models (their ``api``, ``runtime``, ``service``) never imports
   scikit-learn, skl2onnx or the ``training`` packages, directly or through other gpassist modules.

Each rule is a function over an import graph; the ``*_finds_*`` tests feed it a small wrong graph
so a rule that could never fail would show.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gpassist"
SERVING = (
    "gpassist.diagnosis.api",
    "gpassist.diagnosis.runtime",
    "gpassist.diagnosis.service",
    "gpassist.tcm.api",
    "gpassist.tcm.runtime",
    "gpassist.tcm.service",
)
NOT_FOR_SERVING = ("sklearn", "skl2onnx", "gpassist.diagnosis.training", "gpassist.tcm.training")


@dataclass(frozen=True)
class Import:
    target: str  # the module imported (``from a import b``: ``a.b`` when that is a module)
    line: int
    in_function: bool  # inside a function body: runs when called, not when the module loads


Graph = Mapping[str, list[Import]]


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool, modules: Iterable[str]) -> list[Import]:
    """Every import statement of ``source`` (the module ``module``), resolved to module names;
    ``if TYPE_CHECKING:`` blocks are skipped (they never run)."""
    known = set(modules)
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for sub in child.orelse:
                    visit_statement(sub, in_function)
                continue
            visit_statement(child, in_function)

    def visit_statement(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(a.name, node.lineno, in_function) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.append(
                    Import(candidate if candidate in known else base, node.lineno, in_function)
                )
        nested = in_function or isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
        )
        visit(node, nested)

    visit(ast.parse(source), False)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def package_graph(root: Path = PACKAGE) -> dict[str, list[Import]]:
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    return {
        name: imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", files)
        for name, path in files.items()
    }


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# -- the rules -----------------------------------------------------------------------------------


APP_FACTORY = "gpassist"  # gpassist/__init__.py: create_app mounts the pages and blueprints


def web_imports_outside_web(graph: Graph) -> list[str]:
    """``module:line -> target`` for every import of gpassist.web from outside gpassist/web/
    (the app factory excepted)."""
    return [
        f"{module}:{i.line} -> {i.target}"
        for module, imports in graph.items()
        if module != APP_FACTORY and not _within(module, "gpassist.web")
        for i in imports
        if _within(i.target, "gpassist.web")
    ]


def capability_of(module: str) -> str | None:
    """``gpassist.<capability>`` for a module inside a capability package, else None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "gpassist" else None


def _is_api(module: str) -> bool:
    last = module.rpartition(".")[2]
    return last == "api" or last.endswith("_api")


def cross_capability_api_imports(graph: Graph) -> list[str]:
    """``module:line -> target`` where a capability imports another capability's api module."""
    found = []
    for module, imports in graph.items():
        own = capability_of(module)
        if own is None:
            continue
        for i in imports:
            theirs = capability_of(i.target)
            if theirs is not None and theirs != own and _is_api(i.target):
                found.append(f"{module}:{i.line} -> {i.target}")
    return list(dict.fromkeys(found))  # ``from x.api import a, b`` is one offence


def cycles(graph: Graph, *, with_function_imports: bool) -> list[list[str]]:
    """One cycle (as a path a -> b -> … -> a) per strongly connected group of gpassist modules."""
    edges = {
        module: sorted(
            {
                i.target
                for i in imports
                if i.target in graph and (with_function_imports or not i.in_function)
            }
        )
        for module, imports in graph.items()
    }
    found = []
    for group in _strongly_connected(edges):
        if len(group) > 1 or group[0] in edges[group[0]]:
            found.append(_cycle_in(group, edges))
    return found


def _strongly_connected(edges: Mapping[str, list[str]]) -> list[list[str]]:
    # Tarjan's algorithm, iterative (the package graph is deep enough to worry about recursion)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                groups.append(sorted(group))
    return groups


def _cycle_in(group: list[str], edges: Mapping[str, list[str]]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    members, start = set(group), group[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in edges[node]:
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if child in members and child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"{group} is not a cycle")


def forbidden_reach(graph: Graph, roots: Iterable[str], forbidden: Iterable[str]) -> list[str]:
    """Import chains (``a -> b -> sklearn``) from ``roots`` to a module under one of
    ``forbidden``, following gpassist modules through module- and function-level imports."""
    forbidden = tuple(forbidden)
    chains = []
    for root in roots:
        previous: dict[str, str | None] = {root: None}
        frontier = [root]
        while frontier:
            following = []
            for module in frontier:
                for i in graph.get(module, ()):
                    if i.target in previous:
                        continue
                    previous[i.target] = module
                    if any(_within(i.target, f) for f in forbidden):
                        chain = [i.target]
                        while previous[chain[-1]] is not None:
                            chain.append(previous[chain[-1]])
                        chains.append(" -> ".join(reversed(chain)))
                    elif i.target in graph:
                        following.append(i.target)
            frontier = following
    return chains


# -- the package ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> dict[str, list[Import]]:
    return package_graph()


def test_the_graph_sees_the_package(graph):
    # a scan that read nothing would pass every rule below
    assert len(graph) > 100
    targets = {i.target for i in graph["gpassist.prescriptions.api"]}
    assert {"gpassist.endpoints", "gpassist.settlement.present"} <= targets
    assert any(i.in_function for i in graph["gpassist.diagnosis.cli"])


def test_nothing_outside_web_imports_web(graph):
    offenders = web_imports_outside_web(graph)
    assert not offenders, "gpassist.web imported from outside gpassist/web/:\n" + "\n".join(
        offenders
    )


def test_no_capability_imports_another_capabilitys_api(graph):
    offenders = cross_capability_api_imports(graph)
    assert not offenders, (
        "a capability imports another's api module (move the helper to endpoints.py or the "
        "serializer to present.py):\n" + "\n".join(offenders)
    )


def test_no_import_cycle_at_module_level(graph):
    found = cycles(graph, with_function_imports=False)
    assert not found, "module-level import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_no_import_cycle_through_imports_inside_functions(graph):
    found = cycles(graph, with_function_imports=True)
    assert not found, "import cycles (counting imports inside functions):\n" + "\n".join(
        " -> ".join(c) for c in found
    )


def test_serving_the_models_needs_no_scikit_learn_or_training_code(graph):
    assert set(SERVING) <= set(graph)
    chains = forbidden_reach(graph, SERVING, NOT_FOR_SERVING)
    assert not chains, "serving reaches training code:\n" + "\n".join(chains)


# -- each rule fails on a wrong graph ------------------------------------------------------------


def _graph(edges: Mapping[str, list[str | tuple[str, bool]]]) -> dict[str, list[Import]]:
    """An in-memory graph; a target given as (name, True) is imported inside a function."""
    graph = {}
    for module, targets in edges.items():
        imports = []
        for target in targets:
            name, in_function = (target, False) if isinstance(target, str) else target
            imports.append(Import(name, 1, in_function))
        graph[module] = imports
    return graph


def test_the_import_reader_resolves_relative_function_level_and_type_checking_imports():
    modules = {"gpassist.a", "gpassist.a.api", "gpassist.a.service", "gpassist.web", "gpassist.b"}
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import api\n"
        "from gpassist import web\n"
        "if TYPE_CHECKING:\n"
        "    import gpassist.b\n"
        "def f():\n"
        "    from .service import g\n"
        "class C:\n"
        "    import gpassist.b as b\n"
    )
    found = imports_of(source, "gpassist.a.service", False, modules)
    assert [(i.target, i.line, i.in_function) for i in found] == [
        ("typing", 1, False),
        ("gpassist.a.api", 2, False),
        ("gpassist.web", 3, False),
        ("gpassist.a.service", 7, True),
        ("gpassist.b", 9, False),
    ]


def test_an_import_of_web_from_a_service_is_found_at_any_level():
    wrong = _graph(
        {
            "gpassist": [("gpassist.web", True)],  # the factory mounts the pages
            "gpassist.web.pages": ["gpassist.web"],  # inside web: allowed
            "gpassist.auth.service": [("gpassist.web.views", True)],
        }
    )
    assert web_imports_outside_web(wrong) == ["gpassist.auth.service:1 -> gpassist.web.views"]


def test_an_import_of_another_capabilitys_api_is_found():
    wrong = _graph(
        {
            "gpassist": ["gpassist.settlement.api"],  # the factory registers blueprints
            "gpassist.settlement.api": ["gpassist.settlement.present"],  # its own
            "gpassist.prescriptions.api": [
                "gpassist.settlement.api",
                "gpassist.settlement.present",
            ],
            "gpassist.pharmacy.service": [("gpassist.settlement.admin_api", True)],
        }
    )
    assert cross_capability_api_imports(wrong) == [
        "gpassist.prescriptions.api:1 -> gpassist.settlement.api",
        "gpassist.pharmacy.service:1 -> gpassist.settlement.admin_api",
    ]


def test_a_cycle_is_reported_with_its_modules():
    wrong = _graph(
        {
            "gpassist.tcm.runtime": [("gpassist.tcm.training", True), "gpassist.tcm.features"],
            "gpassist.tcm.training": ["gpassist.tcm.runtime"],
            "gpassist.tcm.features": [],
            "gpassist.a": ["gpassist.b"],
            "gpassist.b": ["gpassist.c"],
            "gpassist.c": ["gpassist.a"],
            "gpassist.d": ["gpassist.d"],
        }
    )
    assert cycles(wrong, with_function_imports=False) == [
        ["gpassist.a", "gpassist.b", "gpassist.c", "gpassist.a"],
        ["gpassist.d", "gpassist.d"],
    ]
    assert ["gpassist.tcm.runtime", "gpassist.tcm.training", "gpassist.tcm.runtime"] in cycles(
        wrong, with_function_imports=True
    )


def test_serving_that_reaches_scikit_learn_through_another_module_is_found():
    wrong = _graph(
        {
            "gpassist.tcm.api": ["gpassist.tcm.service"],
            "gpassist.tcm.service": [("gpassist.tcm.features", True)],
            "gpassist.tcm.features": [("sklearn.feature_extraction.text", True)],
            "gpassist.tcm.training": ["sklearn"],
        }
    )
    assert forbidden_reach(wrong, ["gpassist.tcm.api"], NOT_FOR_SERVING) == [
        "gpassist.tcm.api -> gpassist.tcm.service -> gpassist.tcm.features"
        " -> sklearn.feature_extraction.text"
    ]
    assert forbidden_reach(wrong, ["gpassist.tcm.training"], ["gpassist.web"]) == []
