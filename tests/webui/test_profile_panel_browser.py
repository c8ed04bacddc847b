"""The profile panel in a real headless Chromium: pick a profile, see the preview, Apply sets the fields
and the preview follows; a profile made after the page was built is offered when the list opens."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import choose_option, chromium_page, free_port, require_browser
from modules._standin_tab import build_tab
from webui_support import LoadedExtension

from paramlab.profiles import Profile
from paramlab.webui import profile_panel, runtime


@pytest.mark.browser
def test_apply_a_profile_in_the_browser(tmp_path: Path, artifacts_dir: Path) -> None:
    require_browser()
    extension = LoadedExtension(tmp_path)
    profile_panel.PENDING_PANELS.clear()
    tab = build_tab([extension.script_class])
    runtime.profile_store().create(Profile(name="Night shoot", settings={"Steps": 12}))  # after the build
    port = free_port()
    tab.blocks.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        with chromium_page() as page:
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_text("ParamLab", exact=True).first.click()
            choose_option(page, "#script_txt2img_paramlab_profile", "Night shoot")  # made after the UI was built
            choose_option(page, "#script_txt2img_paramlab_profile", "Final render")
            preview = page.locator("#script_txt2img_paramlab_profile_preview").first
            preview.get_by_text("Hires upscale").first.wait_for(timeout=15_000)
            assert "Measured here" in preview.inner_text()

            page.get_by_role("button", name="Apply to fields").click()
            steps = page.locator("#txt2img_steps input[type=number]").first
            page.wait_for_function(
                "el => el.value === '40'", arg=steps.element_handle(), timeout=15_000)
            assert page.locator("#txt2img_hr_scale input[type=number]").first.input_value() == "1.5"
            assert page.locator("#txt2img_cfg_scale input[type=number]").first.input_value() == "7"
            assert "Applied" in page.locator("#script_txt2img_paramlab_profile_status").first.inner_text()
            page.wait_for_function(  # the "now" column follows Apply
                """() => [...document.querySelectorAll('#script_txt2img_paramlab_profile_preview tr')]
                    .some(row => row.cells[0].textContent === 'Steps' && row.cells[1].textContent === '40')""",
                timeout=15_000)
            page.screenshot(path=str(artifacts_dir / "profile-panel.png"), full_page=True)
    finally:
        tab.blocks.close()
        extension.close()
