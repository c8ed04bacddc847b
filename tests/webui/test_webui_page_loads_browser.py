"""The WebUI's whole page with ParamLab in a real Chromium, under the venv's gradio (3.41: A1111, 4.40: Forge).

Forge's page once stayed on "Loading…" for good because of one ParamLab component (an empty gr.Dataframe
crashed gradio 4's front end): the page must load, with no page error, the accordion and the tab there
and the host's own fields usable, also when a ParamLab part failed to build.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import require_browser
from webui_page_support import open_top_tab, webui_page
from webui_support import LoadedExtension

from paramlab.webui import profile_panel


def load_page(extension: LoadedExtension, shot: Path) -> tuple[list[str], dict[str, int]]:
    """Serve the page, open it, type into txt2img, open the ParamLab tab; returns the page errors."""
    page_errors: list[str] = []
    with webui_page([extension.script_class], page_errors=page_errors) as (page, _built):
        page.locator("#txt2img_prompt textarea").first.fill("typed after load")
        open_top_tab(page, "ParamLab")
        page.locator("#paramlab-tab").first.wait_for(timeout=30_000)
        page.screenshot(path=str(shot), full_page=True)
        state = {
            "accordion": page.locator("#script_txt2img_paramlab_accordion").count(),
            "tab": page.locator("#paramlab-tab").count(),
            "failed_note": page.locator(".paramlab-part-failed").count(),
        }
    return page_errors, state


pytestmark = pytest.mark.browser


@pytest.fixture
def extension(tmp_path: Path):
    require_browser()
    loaded = LoadedExtension(tmp_path)
    profile_panel.PENDING_PANELS.clear()
    yield loaded
    loaded.close()


def test_the_page_loads_with_paramlab(extension: LoadedExtension, artifacts_dir: Path) -> None:
    page_errors, state = load_page(extension, artifacts_dir / "webui-page.png")
    assert page_errors == []
    assert state == {"accordion": 1, "tab": 1, "failed_note": 0}


def test_the_page_loads_when_a_paramlab_part_fails(extension: LoadedExtension, artifacts_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(profile_panel, "build_panel", boom)  # the page is built inside load_page
    page_errors, state = load_page(extension, artifacts_dir / "webui-page-part-failed.png")
    assert page_errors == []
    assert state["tab"] == 1 and state["failed_note"] == 1
