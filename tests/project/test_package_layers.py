"""No package imports back into a package that imports it.

A module-level loop is caught by :mod:`test_core_purity`; this test looks one level up, at
``paramlab``'s subpackages and top-level modules: the ledger writer may not import the aftercare that
imports the ledger (the writer gets its background work injected), nor may ``infotext`` read the
ledger's schema while the ledger parses infotext (the ledger passes its column lengths in). Each
loop is reported with the lines that close it.
"""

from __future__ import annotations

from pathlib import Path

from import_graph import import_cycles, import_graph, package_graph

REPO = Path(__file__).resolve().parents[2]


def test_no_package_imports_back_into_one_that_imports_it() -> None:
    parts = package_graph(import_graph(REPO / "paramlab"))
    assert len(parts) >= 15 and sum(len(edges) for edges in parts.values()) > 50, "the package graph came out empty"
    cycles = [cycle.describe(REPO) for cycle in import_cycles(parts)]
    assert cycles == [], "packages that import each other:\n" + "\n".join(cycles)
