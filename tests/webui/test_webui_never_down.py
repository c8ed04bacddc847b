"""A ParamLab UI part that fails to build leaves the host's page usable, with ONE clear console line.

Failures are forced (a builder that raises, a missing ``altair`` or ``SQLAlchemy``) in the real
adapter inside the stand-in WebUI (A1111 under gradio 3, Forge under gradio 4).
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from modules import errors, script_callbacks, txt2img
from modules._standin_tab import build_tab
from webui_support import REPO, LoadedExtension

from paramlab.webui import profile_panel

SMALL = {"width": 64, "height": 64}


@pytest.fixture
def extension(tmp_path: Path):
    profile_panel.PENDING_PANELS.clear()
    loaded = LoadedExtension(tmp_path)
    yield loaded
    loaded.close()


def paramlab_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "paramlab" and r.levelno >= logging.ERROR]


def by_elem_id(blocks, elem_id: str):
    return [block for block in blocks.blocks.values() if getattr(block, "elem_id", None) == elem_id]


def boom(*_args, **_kwargs):
    raise RuntimeError("boom")


def test_a_failing_accordion_leaves_the_tab_and_recording_working(extension, caplog, monkeypatch) -> None:
    monkeypatch.setattr(profile_panel, "build_panel", boom)
    with caplog.at_level(logging.DEBUG, logger="paramlab"):
        tab = build_tab([extension.script_class])
    assert paramlab_errors(caplog) == [
        "ParamLab: the ParamLab accordion in txt2img is not shown: RuntimeError: boom. "
        "The rest of the WebUI is not affected."]
    assert errors.reported == []  # the host had nothing to catch
    [panel] = by_elem_id(tab.blocks, "script_txt2img_paramlab_panel")
    assert panel.visible is False
    assert by_elem_id(tab.blocks, "script_txt2img_paramlab_panel-failed")
    assert by_elem_id(tab.blocks, "txt2img_prompt")  # the host's own fields are all there
    processed = txt2img.run_txt2img_ui(tab.runner, {"prompt": "still recorded", **SMALL})
    assert [row["prompt"] for row in extension.rows()] == ["still recorded"] == processed.all_prompts


def test_a_failing_tab_section_leaves_the_other_sections(extension, caplog, monkeypatch) -> None:
    from paramlab.tab.managers import sections as managers

    monkeypatch.setattr(managers, "build_series_manager", boom)
    with caplog.at_level(logging.INFO, logger="paramlab"):
        [(blocks, title, _)] = [t for t in script_callbacks.ui_tabs_callback() if t[1] == "ParamLab"]
    assert paramlab_errors(caplog) == [
        "ParamLab: the series manager is not shown: RuntimeError: boom. The rest of the WebUI is not affected."]
    assert by_elem_id(blocks, "paramlab-part-series")[0].visible is False
    assert by_elem_id(blocks, "paramlab-part-series-failed")
    for part in ("ledger", "charts", "profiles"):
        assert by_elem_id(blocks, f"paramlab-part-{part}")[0].visible is not False
    assert errors.reported == []


def test_without_altair_only_the_charts_are_missing(extension, caplog, monkeypatch) -> None:
    """gradio 4 does not bring altair: until install.py has run, the rest of the tab works."""
    import paramlab.tab.charts

    charts = ("paramlab.tab.charts.view", "paramlab.tab.charts.figures", "paramlab.tab.charts.run_view")
    for name in [name for name in sys.modules if name in charts or name.startswith("altair")]:
        monkeypatch.delitem(sys.modules, name)
    for attribute in ("view", "figures", "run_view"):  # "from paramlab.tab.charts import figures" reads these
        monkeypatch.delattr(paramlab.tab.charts, attribute, raising=False)
    monkeypatch.setitem(sys.modules, "altair", None)  # import altair → ImportError
    with caplog.at_level(logging.INFO, logger="paramlab"):
        tabs = [t for t in script_callbacks.ui_tabs_callback() if t[1] == "ParamLab"]
    assert len(tabs) == 1
    [line] = paramlab_errors(caplog)
    assert line.startswith("ParamLab: the Cost / quality charts is not shown: ModuleNotFoundError")
    assert "altair" in line


def test_a_failing_tab_is_a_note_and_the_webui_goes_on(extension, caplog, monkeypatch) -> None:
    from paramlab.webui import tab

    monkeypatch.setattr(tab, "build_tab_contents", boom)
    with caplog.at_level(logging.INFO, logger="paramlab"):
        [(blocks, _, _)] = [t for t in script_callbacks.ui_tabs_callback() if t[1] == "ParamLab"]
    assert len(paramlab_errors(caplog)) == 1
    assert by_elem_id(blocks, "paramlab-part-tab-failed")
    assert errors.reported == []


def test_a_failing_callback_says_so_once(extension, caplog, monkeypatch) -> None:
    """on_after_component runs for every component of the page: one line, not one per component."""
    calls = []

    def failing_wire(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("boom")

    monkeypatch.setattr(profile_panel, "wire_pending_panels", failing_wire)
    extension = LoadedExtension(extension.data_dir)  # callbacks take the patched function when they register
    with caplog.at_level(logging.INFO, logger="paramlab"):
        build_tab([extension.script_class])
    assert len(calls) > 10  # it ran for every component
    assert paramlab_errors(caplog) == [
        "ParamLab: the profile panel's Apply/Save wiring is not shown: RuntimeError: boom. "
        "The rest of the WebUI is not affected."]
    assert errors.reported == []


def test_a_missing_package_is_one_line_and_no_script(tmp_path: Path) -> None:
    """Started with --skip-install and no SQLAlchemy: no traceback, one line saying what to do."""
    code = (
        "import sys; sys.modules['sqlalchemy'] = None\n"
        f"sys.path[:0] = [{str(REPO)!r}, {str(REPO / 'tests' / 'host')!r}]\n"
        "from modules import script_loading\n"
        f"module = script_loading.load_module({str(REPO / 'scripts' / 'paramlab.py')!r})\n"
        "assert module.ParamLabScript is None\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "ParamLab is not loaded: the package 'sqlalchemy' is missing; start the WebUI without --skip-install "
        "(ParamLab's install.py installs SQLAlchemy==2.0.58), or run in the WebUI's venv: "
        'pip install "SQLAlchemy==2.0.58".']
