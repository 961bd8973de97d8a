"""No two application modules import each other, directly or in a circle (issue #11).

`make lint` checks the layers and cycles inside each package (import-linter); this test looks
at every module of the five packages together, so a cycle across apps fails too. grimp reads
function-local imports as well, so such an import cannot hide a cycle. The one exception is
the Celery pattern: a task imports the service it runs inside the task function.
"""

from __future__ import annotations

import grimp

PACKAGES = ("octoacme", "notifications", "releases", "signoffs", "api")


def _graph() -> dict[str, set[str]]:
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        if ".migrations" in module or module.rsplit(".", 1)[-1] == "tasks":
            continue
        edges[module] = {
            m for m in graph.find_modules_directly_imported_by(module) if ".migrations" not in m
        }
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), plus self-imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _is_package_init(module: str, edges: dict[str, set[str]]) -> bool:
    return any(other.startswith(module + ".") for other in edges)


def test_no_module_imports_its_own_caller():
    edges = _graph()
    # A package's __init__ re-exporting its submodules is not a cycle of concerns: a
    # submodule importing a sibling through the package name resolves to that sibling.
    for module, targets in edges.items():
        edges[module] = {
            t for t in targets if not (_is_package_init(t, edges) and module.startswith(t + "."))
        }
    assert _cycles(edges) == []


def test_the_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
