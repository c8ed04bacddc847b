"""The core package must import and work with no WebUI present, and its layers point one way.

Dependencies run ``paramlab/webui/`` (and ``paramlab/standalone.py``) → ``paramlab/tab/`` (the pages) →
``paramlab/web/`` (HTTP) → core; only ``paramlab/ledger/`` speaks SQL; no two modules import each other,
directly or round a loop.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from import_graph import import_cycles, import_graph

REPO = Path(__file__).resolve().parents[2]
CORE_MODULES = sorted(
    ".".join(path.relative_to(REPO).with_suffix("").parts)
    for path in (REPO / "paramlab").rglob("*.py")
    if "webui" not in path.relative_to(REPO / "paramlab").parts and path.name != "__main__.py"
)


def test_core_modules_import_without_the_webui() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "assert 'modules' not in sys.modules, 'the core imported the WebUI'\n"
        "print(len(sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert len(CORE_MODULES) >= 10


def _imported_names(path: Path) -> list[tuple[str, int]]:
    """Every module name a file imports (top-level or inside a function), with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, node.lineno))
    return found


def _importers_of(top_name: str, paths: list[Path]) -> list[str]:
    return [f"{path.relative_to(REPO)}:{line}" for path in paths for name, line in _imported_names(path)
            if name == top_name or name.startswith(top_name + ".")]


def test_only_the_webui_adapter_imports_modules() -> None:
    paths = [path for path in (REPO / "paramlab").rglob("*.py") if "webui" not in path.relative_to(REPO).parts]
    offenders = _importers_of("modules", [*paths, REPO / "install.py", REPO / "preload.py"])
    assert offenders == []


def test_scripts_folder_holds_one_thin_entry_file() -> None:
    entries = sorted(path.name for path in (REPO / "scripts").iterdir() if path.suffix == ".py")
    assert entries == ["paramlab.py"]
    assert len((REPO / "scripts" / "paramlab.py").read_text(encoding="utf-8").splitlines()) <= 10


ADAPTER = ("paramlab.webui",)
TAB = ("paramlab.tab",)  # the pages
WEB = ("paramlab.web",)  # the HTTP routes, the access rule, signed links
STANDALONE = ("paramlab.standalone", "paramlab.web.standalone_guard", "paramlab.cli", "paramlab.__main__")


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def _out_of_bounds(module: str) -> tuple[str, ...]:
    """What ``module`` must not import: the layers above its own, and the other host's side."""
    if _within(module, ADAPTER):
        return STANDALONE
    if _within(module, STANDALONE):
        return ADAPTER
    if _within(module, TAB):
        return ADAPTER + STANDALONE
    if _within(module, WEB):
        return ADAPTER + STANDALONE + TAB
    return ADAPTER + STANDALONE + TAB + WEB  # the core


def _offending_imports(forbidden: Callable[[str], tuple[str, ...]]) -> list[str]:
    """Each import, module-level or inside a function, of a module that ``forbidden(importer)`` names."""
    return [
        f"{edge.source} imports {edge.target} ({edge.where(REPO)})"
        for module, edges in import_graph(REPO / "paramlab").items()
        for edge in edges
        if _within(edge.target, forbidden(module))
    ]


def test_nothing_outside_the_webui_adapter_imports_it() -> None:
    offenders = _offending_imports(lambda module: () if _within(module, ADAPTER) else ADAPTER)
    assert offenders == [], "only paramlab/webui/ may import paramlab.webui:\n" + "\n".join(offenders)


def test_imports_point_from_the_hosts_to_the_tab_to_the_core() -> None:
    offenders = _offending_imports(_out_of_bounds)
    assert offenders == [], "an import against the layers (webui/standalone → tab → core):\n" + "\n".join(offenders)


def test_no_modules_import_each_other() -> None:
    graph = import_graph(REPO / "paramlab")
    assert sum(len(edges) for edges in graph.values()) > 100, "the import graph came out (nearly) empty"
    cycles = [cycle.describe(REPO) for cycle in import_cycles(graph)]
    assert cycles == [], "modules that import each other:\n" + "\n".join(cycles)


def test_only_the_ledger_speaks_sql() -> None:
    """The ledger owns its reads and writes: a module outside paramlab/ledger/ that imports SQLAlchemy is
    SQL written against the schema from a second place."""
    outside = [path for path in (REPO / "paramlab").rglob("*.py")
               if path.relative_to(REPO / "paramlab").parts[0] != "ledger"]
    assert len(outside) > 50
    assert _importers_of("sqlalchemy", [REPO / "paramlab" / "ledger" / "store.py"]), "the check sees no import"
    offenders = _importers_of("sqlalchemy", outside)
    assert offenders == [], "SQLAlchemy imported outside paramlab/ledger/:\n" + "\n".join(offenders)
