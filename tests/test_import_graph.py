"""The package's modules import one another in one direction only.

Every import statement counts, at module level or inside a function; only those under
``if TYPE_CHECKING:`` are left out, since they never run. A circle of imports hides behind
function-local imports until a change moves one of them, so the graph is held here. The
library below the service never imports it, nor the declarations, which are service-side but
for their pure pre-check.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import healthcert

PACKAGE_ROOT = Path(healthcert.__file__).parent
SOURCE_ROOT = PACKAGE_ROOT.parent
# The layers that load only when the service runs.
SERVICE_LAYERS = ("healthcert.service", "healthcert.api", "healthcert.database", "healthcert.web")
# The declarations' use cases read and write the service's database: they are service-side.
DECLARATIONS = "healthcert.declarations"
# Their pre-check alone is pure, a function of a declaration's facts and a policy.
PRECHECK = f"{DECLARATIONS}.precheck"
# Above the library too: the command line and the demo drive the service.
FRONTS = ("healthcert.cli", "healthcert.demo")
# The trust gateway: its server is service-side; what a country runs against it (publish,
# sync, the CMS and download signatures they share) uses the library alone.
GATEWAY = "healthcert.gateway"
GATEWAY_CLIENT = frozenset(
    f"{GATEWAY}{suffix}" for suffix in ("", ".client", ".cms", ".wire", ".sync", ".publish")
)


@dataclass(frozen=True)
class Edge:
    """One import statement: ``source`` imports ``target`` at ``line``."""

    source: str
    target: str
    line: int
    text: str


def service_side(module: str) -> bool:
    """Whether ``module`` loads only when the service runs."""
    return (
        module.startswith(SERVICE_LAYERS)
        or (module.startswith(f"{DECLARATIONS}.") and module != PRECHECK)
        or (module.startswith(f"{GATEWAY}.") and module not in GATEWAY_CLIENT)
    )


def _module_names() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE_ROOT.rglob("*.py"):
        parts = list(path.relative_to(SOURCE_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for branch in node.body:
                skipped.update(id(inner) for inner in ast.walk(branch))
    return skipped


def _owner(name: str, modules: Mapping[str, Path]) -> str | None:
    """The module ``name`` is, or the module that defines it."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _targets(
    module: str, path: Path, node: ast.Import | ast.ImportFrom, modules: Mapping[str, Path]
) -> Iterator[str]:
    """The modules one import statement loads by name: ``import a.b`` loads ``a.b``;
    ``from a import b`` loads ``a.b`` where that is a module, otherwise ``a`` (the parent
    packages Python imports on the way are not counted)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            owner = _owner(alias.name, modules)
            if owner is not None:
                yield owner
        return
    base = node.module or ""
    if node.level:
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    for alias in node.names:
        owner = _owner(
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base, modules
        )
        if owner is not None:
            yield owner


def import_edges() -> list[Edge]:
    """Every import between two modules of the package, as written."""
    modules = _module_names()
    edges: list[Edge] = []
    for module, path in sorted(modules.items()):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        skipped = _type_checking_nodes(tree)
        for node in ast.walk(tree):
            if id(node) in skipped or not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            text = ast.get_source_segment(source, node) or ""
            for target in sorted(set(_targets(module, path, node, modules)) - {module}):
                edges.append(Edge(module, target, node.lineno, " ".join(text.split())))
    return edges


def import_graph(edges: list[Edge]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {module: set() for module in _module_names()}
    for edge in edges:
        graph[edge.source].add(edge.target)
    return graph


def reachable(graph: Mapping[str, set[str]], roots: list[str]) -> set[str]:
    """The modules ``roots`` import, directly or through others, and the roots."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph.get(module, ()))
    return seen


def strongly_connected(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def _describe(component: list[str], edges: list[Edge]) -> str:
    members = set(component)
    lines = [
        f"  {edge.source}:{edge.line} {edge.text}"
        for edge in edges
        if edge.source in members and edge.target in members
    ]
    return " <-> ".join(component) + "\n" + "\n".join(lines)


def test_no_module_of_the_package_imports_itself_through_others() -> None:
    edges = import_edges()
    cycles = [c for c in strongly_connected(import_graph(edges)) if len(c) > 1]
    assert cycles == [], "import cycles:\n" + "\n".join(_describe(c, edges) for c in cycles)


def test_the_cycle_finder_finds_cycles_and_only_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": {"d"}, "f": set()}
    found = sorted(c for c in strongly_connected(graph) if len(c) > 1)
    assert found == [["a", "b", "c"], ["d", "e"]]
    assert [c for c in strongly_connected({"a": {"b"}, "b": set()}) if len(c) > 1] == []


def test_from_package_import_module_goes_to_the_module_not_the_package() -> None:
    edges = import_edges()
    # trust.local: ``from healthcert.trust import certificates``; verification:
    # ``from healthcert import report as codes``.
    local = {edge.target for edge in edges if edge.source == "healthcert.trust.local"}
    assert "healthcert.trust.certificates" in local and "healthcert.trust" not in local
    pipeline = {edge.target for edge in edges if edge.source == "healthcert.verification"}
    assert "healthcert.report" in pipeline and "healthcert" not in pipeline


def test_the_library_never_imports_the_service() -> None:
    importing = sorted(
        f"{edge.source}:{edge.line} {edge.text}"
        for edge in import_edges()
        if not service_side(edge.source)
        and not edge.source.startswith(FRONTS)
        and service_side(edge.target)
    )
    assert importing == []


def test_the_library_never_imports_the_declarations() -> None:
    # Not even the pure pre-check: the declarations sit above the rules they apply.
    importing = sorted(
        f"{edge.source}:{edge.line} {edge.text}"
        for edge in import_edges()
        if not edge.source.startswith((*SERVICE_LAYERS, DECLARATIONS, *FRONTS))
        and edge.target.startswith(DECLARATIONS)
    )
    assert importing == []


def test_the_precheck_loads_nothing_of_the_service() -> None:
    # Everything importing the pre-check runs loads, its package's ``__init__`` included.
    graph = import_graph(import_edges())
    loaded = reachable(graph, [PRECHECK, DECLARATIONS])
    assert "healthcert.rules.policy" in loaded
    assert sorted(m for m in loaded if service_side(m) or m.startswith(FRONTS)) == []


def test_the_declarations_are_service_side_but_for_the_precheck() -> None:
    modules = [m for m in _module_names() if m.startswith(f"{DECLARATIONS}.")]
    assert f"{DECLARATIONS}.intake" in modules
    assert [m for m in modules if not service_side(m)] == [PRECHECK]


def test_the_service_layers_point_from_use_case_to_context() -> None:
    # The pairs that once went both ways: the use cases depend on the context, rendering on
    # the paper form and on issuance.
    graph = import_graph(import_edges())
    service = "healthcert.service"
    assert f"{service}.context" in graph[f"{service}.revocation"]
    assert f"{service}.revocation" not in graph[f"{service}.context"]
    assert f"{service}.paper" in graph[f"{service}.rendering"]
    assert f"{service}.rendering" not in graph[f"{service}.paper"]
    assert f"{service}.revocation" not in graph[f"{service}.issuance"]


def test_no_module_imports_a_name_from_the_package_root() -> None:
    # The root loads its public names lazily from the modules that define them; a module that
    # took one of them from the root would close a circle through it.
    edges = import_edges()
    assert [f"{e.source}:{e.line} {e.text}" for e in edges if e.target == "healthcert"] == []


def test_the_library_never_imports_the_gateway() -> None:
    # Not even its client: the gateway sits above the trust store it fills.
    importing = sorted(
        f"{edge.source}:{edge.line} {edge.text}"
        for edge in import_edges()
        if not edge.source.startswith((GATEWAY, *SERVICE_LAYERS, DECLARATIONS, *FRONTS))
        and edge.target.startswith(GATEWAY)
    )
    assert importing == []


def test_a_country_side_of_the_gateway_loads_nothing_of_the_server() -> None:
    graph = import_graph(import_edges())
    loaded = reachable(graph, sorted(GATEWAY_CLIENT))
    assert f"{GATEWAY}.sync" in loaded and "healthcert.trust.local" in loaded
    assert sorted(m for m in loaded if service_side(m) or m.startswith(FRONTS)) == []
    server = [m for m in _module_names() if m.startswith(f"{GATEWAY}.")]
    assert f"{GATEWAY}.app" in server and service_side(f"{GATEWAY}.app")
