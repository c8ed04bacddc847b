"""TEST HELPER (not in A1111): the whole WebUI page, laid out as ``modules/ui.py::create_ui`` does in v1.10.1.

Each tab is built in its own Blocks (txt2img first, then the extensions' ``on_ui_tabs``), and the page
renders them under ``gr.Tabs(elem_id="tabs")``, each in ``gr.TabItem(label, id=<id>, elem_id="tab_<id>")``.
As in A1111, the page gets no ``css=`` from the tabs' Blocks (A1111 adds extensions' ``style.css`` and
``javascript/*.js`` itself: see ``tests/support/webui_page_support.py``), and the "Send to" buttons are wired
once every tab exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modules import infotext_utils, script_callbacks
from modules._standin_tab import StandinTab, build_tab_contents


@dataclass
class StandinPage:
    blocks: Any
    txt2img: StandinTab


def build_webui_page(script_classes: list[type]) -> StandinPage:
    import gradio as gr
    from modules import gradio_extensons

    gradio_extensons.apply()
    with gr.Blocks(analytics_enabled=False) as txt2img_interface:
        txt2img = build_tab_contents(script_classes)
    txt2img.blocks = txt2img_interface
    interfaces = [(txt2img_interface, "txt2img", "txt2img"), *script_callbacks.ui_tabs_callback()]
    with gr.Blocks(analytics_enabled=False, title="Stable Diffusion") as demo:
        with gr.Tabs(elem_id="tabs"):
            for interface, label, ifid in interfaces:
                with gr.TabItem(label, id=ifid, elem_id=f"tab_{ifid}"):
                    interface.render()
        infotext_utils.connect_paste_params_buttons()
    return StandinPage(blocks=demo, txt2img=txt2img)
