"""The "ParamLab" tab in the WebUI: the same page as ``python -m paramlab serve``, plus A1111's
"Send to txt2img / img2img" buttons, which go through A1111's own infotext paste mechanism."""

from __future__ import annotations

from typing import Any

import gradio as gr
from modules import infotext_utils

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


def on_ui_tabs() -> list[tuple[gr.Blocks, str, str]]:
    with gr.Blocks(analytics_enabled=False, css=VIEW_CSS + TAB_CSS) as ui:
        build_tab_contents(runtime.get_ledger, catalog_provider=catalog.host_catalog, send_to=register_send_buttons)
    return [(ui, TAB_TITLE, TAB_ID)]
