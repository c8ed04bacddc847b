"""The core package must import and work with no WebUI present."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
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


def test_only_the_webui_adapter_imports_modules() -> None:
    offenders = []
    for path in list((REPO / "paramlab").rglob("*.py")) + [REPO / "install.py", REPO / "preload.py"]:
        if "webui" in path.relative_to(REPO).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "modules" or name.startswith("modules.") for name in names):
                offenders.append(str(path.relative_to(REPO)))
    assert offenders == []


def test_scripts_folder_holds_one_thin_entry_file() -> None:
    entries = sorted(path.name for path in (REPO / "scripts").iterdir() if path.suffix == ".py")
    assert entries == ["paramlab.py"]
    assert len((REPO / "scripts" / "paramlab.py").read_text(encoding="utf-8").splitlines()) <= 10
