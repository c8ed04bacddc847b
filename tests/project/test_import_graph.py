"""The import graph the layering tests rely on sees every kind of import, so those tests can fail."""

from __future__ import annotations

from pathlib import Path

from import_graph import import_cycles, import_graph, package_graph


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def _targets(graph: dict, module: str) -> set[str]:
    return {edge.target for edge in graph[module]}


def test_every_kind_of_import_is_an_edge(tmp_path: Path) -> None:
    package = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from . import b\nfrom .sub import c\n",
        "b.py": "def later():\n    from pkg.sub.c import NAME\n    return NAME\n",
        "sub/__init__.py": "from .. import a\n",
        "sub/c.py": "import json\nimport pkg.b\nNAME = 1\n",
        "d.py": "from pkg.sub import NAME_NOT_A_MODULE\nimport pkg\n",
    })
    graph = import_graph(package)
    assert _targets(graph, "pkg.a") == {"pkg.b", "pkg.sub.c"}
    assert _targets(graph, "pkg.b") == {"pkg.sub.c"}  # inside a function
    assert _targets(graph, "pkg.sub") == {"pkg.a"}  # relative, from a package's __init__
    assert _targets(graph, "pkg.sub.c") == {"pkg.b"}  # json is not ours
    assert _targets(graph, "pkg.d") == {"pkg.sub", "pkg"}
    assert _targets(graph, "pkg") == set()


def test_a_loop_is_reported_with_its_lines(tmp_path: Path) -> None:
    package = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from pkg import b\n",
        "b.py": "x = 1\ndef f():\n    from pkg.c import y\n    return y\n",  # closes the loop late
        "c.py": "from pkg.a import z\ny = 2\n",
        "d.py": "from pkg import a\n",  # imports into the loop, is not part of it
    })
    cycles = import_cycles(import_graph(package))
    assert [cycle.describe(tmp_path) for cycle in cycles] == [
        "pkg.a → pkg.b (pkg/a.py:1) → pkg.c (pkg/b.py:3) → pkg.a (pkg/c.py:1)"
    ]


def test_a_chain_without_a_loop_is_no_cycle(tmp_path: Path) -> None:
    package = _package(tmp_path, {"__init__.py": "", "a.py": "from pkg import b\n", "b.py": "import pkg.c\n",
                                  "c.py": ""})
    assert import_cycles(import_graph(package)) == []


def test_a_tangle_names_every_module_in_it(tmp_path: Path) -> None:
    package = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from pkg import b\n",
        "b.py": "from pkg import a, c\n",
        "c.py": "from pkg import b\n",
    })
    [cycle] = import_cycles(import_graph(package))
    assert cycle.members == ("pkg.a", "pkg.b", "pkg.c")
    assert cycle.describe(tmp_path) == (
        "pkg.a → pkg.b (pkg/a.py:1) → pkg.a (pkg/b.py:1); also in this tangle: pkg.c"
    )


def test_packages_that_import_each_other_are_a_cycle_even_when_their_modules_are_not(tmp_path: Path) -> None:
    lazy_import = "x = 1\ndef later():\n    from pkg.store.records import Record\n"
    files = {"store/writer.py": "from pkg.work.queue import Queue\n", "work/queue.py": lazy_import,
             "names.py": "from pkg.store import records\n"}  # a top-level module is a part of its own
    empty = ("__init__.py", "store/__init__.py", "store/records.py", "work/__init__.py")
    graph = import_graph(_package(tmp_path, {**dict.fromkeys(empty, ""), **files}))
    assert import_cycles(graph) == []  # writer → queue → records: no module loop
    parts = package_graph(graph)
    assert {edge.target for edge in parts["pkg.names"]} == {"pkg.store"}
    assert [cycle.describe(tmp_path) for cycle in import_cycles(parts)] == [
        "pkg.store → pkg.work (pkg/store/writer.py:1) → pkg.store (pkg/work/queue.py:3)"
    ]
