"""The service's modules import one another in one direction only, counting every import
(top level, inside functions, and for type checking alike), and the library below them never
imports the service."""

from __future__ import annotations

import ast
from pathlib import Path

SOURCES = Path(__file__).parents[2] / "src" / "healthcert"
SERVICE = SOURCES / "service"


def _imported(path: Path) -> set[str]:
    """The healthcert modules ``path`` imports anywhere, as dotted names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("healthcert.")}


def _service_graph() -> dict[str, set[str]]:
    modules = {path.stem for path in SERVICE.glob("*.py") if path.stem != "__init__"}
    return {
        module: {
            name.split(".")[2]
            for name in _imported(SERVICE / f"{module}.py")
            if name.startswith("healthcert.service.") and name.split(".")[2] in modules
        }
        for module in modules
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, or None."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for imported in sorted(graph[module]):
            found = visit(imported, [*path, module])
            if found is not None:
                return found
        done.add(module)
        return None

    for module in sorted(graph):
        found = visit(module, [])
        if found is not None:
            return found
    return None


def test_the_service_modules_import_in_one_direction() -> None:
    graph = _service_graph()
    assert _cycle(graph) is None
    # The pairs that went both ways before: the use cases depend on the context, rendering
    # on the paper form and on issuance.
    assert "revocation" not in graph["context"] and "context" in graph["revocation"]
    assert "rendering" not in graph["paper"] and "paper" in graph["rendering"]
    assert "revocation" not in graph["issuance"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_library_never_imports_the_service() -> None:
    library = [
        SOURCES / "issuance.py",
        SOURCES / "verification.py",
        *sorted((SOURCES / "formats").rglob("*.py")),
        *sorted((SOURCES / "codec").glob("*.py")),
    ]
    importing = [
        str(path.relative_to(SOURCES))
        for path in library
        if any(name.startswith("healthcert.service") for name in _imported(path))
    ]
    assert importing == []
