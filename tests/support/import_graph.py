"""The import graph of a package, read from source (no imports run), for the layering tests.

Every ``import`` and ``from … import`` counts, at module level or inside a function, because a
function-level import is the same dependency taken later. Relative imports are resolved, and
``from a.b import c`` points at the module ``a.b.c`` when there is one, else at ``a.b``.
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Import:
    """One import statement's target, and where it is."""

    source: str
    target: str
    path: Path
    line: int

    def where(self, root: Path) -> str:
        return f"{self.path.relative_to(root)}:{self.line}"


def module_names(package_dir: Path) -> dict[str, Path]:
    """Dotted name → file for every module of the package (a package's ``__init__`` is the package)."""
    root = package_dir.parent
    names: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module name ``from … import`` reads from, with relative levels resolved."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _own(name: str, modules: dict[str, Path]) -> str | None:
    """The package's module that ``name`` refers to (its nearest existing parent), or None if foreign."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, modules: dict[str, Path]) -> list[Import]:
    """Every import ``module`` makes of another module of the same package."""
    path = modules[module]
    found: list[Import] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, path, node)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.append(submodule if submodule in modules else base)
        for target in targets:
            own = _own(target, modules)
            if own is not None and own != module:
                found.append(Import(module, own, path, node.lineno))
    return found


def import_graph(package_dir: Path) -> dict[str, list[Import]]:
    """Module → the imports it makes of the package's other modules."""
    modules = module_names(package_dir)
    return {module: imports_of(module, modules) for module in modules}


def _strongly_connected(graph: dict[str, list[Import]]) -> list[list[str]]:
    """Tarjan's components, iteratively (no recursion limit on a deep package)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = sorted({edge.target for edge in graph[node]})
            if child < len(targets):
                work.append((node, child + 1))
                target = targets[child]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _shortest_cycle(graph: dict[str, list[Import]], start: str, members: set[str]) -> list[Import]:
    """The shortest chain of imports inside one component that leads from ``start`` back to it."""
    came_by: dict[str, Import] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for edge in graph[node]:
            if edge.target not in members:
                continue
            if edge.target == start:
                chain = [edge]
                while chain[0].source != start:
                    chain.insert(0, came_by[chain[0].source])
                return chain
            if edge.target not in came_by:
                came_by[edge.target] = edge
                queue.append(edge.target)
    raise AssertionError(f"{start} is in a component but on no cycle")  # pragma: no cover


@dataclass(frozen=True)
class ImportCycle:
    """A group of modules that import each other, and the shortest loop through the first of them."""

    members: tuple[str, ...]
    loop: tuple[Import, ...]

    def describe(self, root: Path) -> str:
        """``a → b (a.py:3) → a (b.py:9)``, the lines that close the loop, then any other members."""
        text = " → ".join([self.loop[0].source] + [f"{edge.target} ({edge.where(root)})" for edge in self.loop])
        others = sorted(set(self.members) - {edge.source for edge in self.loop})
        return text + (f"; also in this tangle: {', '.join(others)}" if others else "")


def import_cycles(graph: dict[str, list[Import]]) -> list[ImportCycle]:
    """Each group of modules that import each other, directly or round a loop."""
    return [
        ImportCycle(tuple(component), tuple(_shortest_cycle(graph, component[0], set(component))))
        for component in _strongly_connected(graph)
        if len(component) > 1
    ]


def package_of(module: str, depth: int = 2) -> str:
    """The part of the package ``module`` belongs to: ``paramlab.ledger.writer`` → ``paramlab.ledger``;
    a top-level module (``paramlab.infotext``) is a part of its own."""
    return ".".join(module.split(".")[:depth])


def package_graph(graph: dict[str, list[Import]], depth: int = 2) -> dict[str, list[Import]]:
    """The import graph between the package's parts (subpackages and top-level modules): each import of
    one part's module by another part's, kept with its file and line; imports inside a part are dropped."""
    parts: dict[str, list[Import]] = {package_of(module, depth): [] for module in graph}
    for edges in graph.values():
        for edge in edges:
            source, target = package_of(edge.source, depth), package_of(edge.target, depth)
            if source != target:
                parts[source].append(Import(source, target, edge.path, edge.line))
    return parts
