"""The "ParamLab" tab in the WebUI: the same page as ``python -m paramlab serve``, plus A1111's
"Send to txt2img / img2img" buttons, which go through A1111's own infotext paste mechanism."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr
from modules import infotext_utils

from paramlab.tab.guard import build_part, report_failure
from paramlab.tab.ledger_render import VIEW_CSS
from paramlab.tab.page import TAB_CSS, build_tab_contents
from paramlab.webui import catalog, runtime

TAB_TITLE = "ParamLab"
TAB_ID = "paramlab"


def register_send_buttons(infotext_box: Any) -> None:
    """A1111 wires these after all tabs exist: paste the selected image's infotext into the tab's fields
    (and its own JS switches to that tab)."""
    buttons = infotext_utils.create_buttons(["txt2img", "img2img"])
    for tabname, button in buttons.items():
        infotext_utils.register_paste_params_button(
            infotext_utils.ParamBinding(paste_button=button, tabname=tabname, source_text_component=infotext_box)
        )


def add_reproduce_button(selected: Any, status: Any) -> None:
    button = gr.Button("Reproduce this image", elem_id="paramlab-ledger-reproduce")
    button.click(fn=reproduce_selected, inputs=[selected], outputs=[status])


def reproduce_selected(image_id: Any) -> str:
    """Generate the row again (under A1111's queue lock) and say whether the pixels match, and if not,
    which fingerprint fields changed since."""
    from paramlab.webui.reproduce import ReproduceError, reproduce

    try:
        result = reproduce(int(str(image_id).strip()))
    except (ValueError, ReproduceError) as exc:
        text = str(exc) if isinstance(exc, ReproduceError) else "ParamLab: pick an image in the table first."
        return f"<p class='paramlab-error'>{html.escape(text)}</p>"
    css = "paramlab-ok" if result.comparison.identical else "paramlab-warning"
    return f"<p class='{css}'>{html.escape(result.summary())}</p>"


def build_contents() -> Any:
    return build_tab_contents(runtime.get_ledger, catalog_provider=catalog.host_catalog,
                              send_to=register_send_buttons, extra_actions=add_reproduce_button)


def on_ui_tabs() -> list[tuple[gr.Blocks, str, str]]:
    """The tab, or a tab that says in one line why it is empty; never an exception into the WebUI."""
    try:
        with gr.Blocks(analytics_enabled=False, css=VIEW_CSS + TAB_CSS) as ui:
            build_part("the ParamLab tab", build_contents, elem_id="paramlab-part-tab")
    except Exception as exc:  # noqa: BLE001 - gradio itself refused: leave the tab out, keep the WebUI
        report_failure("the ParamLab tab", exc)
        return []
    return [(ui, TAB_TITLE, TAB_ID)]
