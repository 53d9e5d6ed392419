"""The import graph: no circles between docent's modules (the layers between packages are
import-linter's contract in `make lint`; this checks the modules inside them too)."""

from __future__ import annotations

from pathlib import Path

PACKAGES = ("app", "graphs", "ingest", "core")


def strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components of more than one node, or with a self-loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(component)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_tarjan_finds_a_circle_and_only_the_circle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(edges) == [{"a", "b", "c"}]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_no_import_circles_between_modules() -> None:
    """Among module-level imports, which run when a module loads. A function's own import
    (the idiom for heavy modules, and how `core.index.backend.open_backend` picks the
    embedded or the PostgreSQL index, whose functions the seam wraps) runs after every
    module is loaded, and is left out; so are imports for type checking."""
    import importlib.util

    import grimp

    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)

    def at_module_level(importer: str, imported: str) -> bool:
        origin = importlib.util.find_spec(importer).origin  # type: ignore[union-attr]
        lines = Path(str(origin)).read_text().splitlines()
        return any(not lines[detail["line_number"] - 1].startswith((" ", "\t"))
                   for detail in graph.get_import_details(importer=importer, imported=imported))

    edges = {module: {imported for imported in graph.find_modules_directly_imported_by(module)
                      if at_module_level(module, imported)}
             for module in graph.modules}
    assert strongly_connected(edges) == []



def test_nothing_imports_app() -> None:
    import grimp

    graph = grimp.build_graph(*PACKAGES)
    importers = {module for module in graph.find_modules_that_directly_import("app")}
    for module in graph.modules:
        if module.startswith("app."):
            importers |= set(graph.find_modules_that_directly_import(module))
    assert {m for m in importers if not m.startswith("app")} == set()
