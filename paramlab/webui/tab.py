"""The "ParamLab" tab in the WebUI: the same page as ``python -m paramlab serve``, plus A1111's
"Send to txt2img / img2img" buttons (through A1111's own infotext paste mechanism), "Reproduce", and
"Lock this seed in txt2img / img2img", which set the seed panel of that tab.

A1111 wraps the tab in its own ``TabItem`` (``tab_paramlab``); :func:`refresh_when_opened` hooks its
selection, so opening the tab shows the ledger as it is now, not as it was when the page loaded."""

from __future__ import annotations

from typing import Any

import gradio as gr
from modules import infotext_utils

from paramlab.gradio_compat import on_tab_select, update
from paramlab.ledger import LedgerError
from paramlab.tab.guard import build_part, report_failure
from paramlab.tab.page import TabContents, build_tab_contents
from paramlab.tab.status_html import status_html
from paramlab.webui import catalog, runtime, seed_panel

TAB_TITLE = "ParamLab"
TAB_ID = "paramlab"
_built: dict[str, TabContents] = {}  # this UI build's tab, until A1111 wraps it in its TabItem


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
        return status_html(text, "error")
    return status_html(result.summary(), "ok" if result.comparison.identical else "warning")


def add_webui_actions(selected: Any, status: Any) -> None:
    """The actions that need a running WebUI: reproduce, and lock the image's seed in txt2img / img2img."""
    add_reproduce_button(selected, status)
    for tabname, panel in seed_panel.LATEST_PANELS.items():
        button = gr.Button(f"Lock this seed in {tabname}", elem_id=f"paramlab-ledger-lock-{tabname}")
        button.click(fn=lock_seed_from_image, inputs=[selected],
                     outputs=[panel.locked, panel.seed, panel.series, panel.status, status], show_progress=False)


def lock_seed_from_image(image_id: Any) -> list[Any]:
    """[Lock seed, Locked seed, series, the panel's status, the tab's status]: the seed panel locks the
    selected image's seed (a plain lock: a chosen series is cleared), and both places say so."""
    from paramlab.tab.ledger_view.query import image_detail

    unchanged = [update(), update(), update(), update()]
    try:
        detail = image_detail(runtime.get_ledger(), int(str(image_id).strip()))
    except ValueError:
        return [*unchanged, status_html("ParamLab: pick an image in the table first.", "error")]
    except LedgerError as exc:
        return [*unchanged, status_html(str(exc), "error")]
    if detail is None or detail.get("seed") is None:
        return [*unchanged, status_html(f"Image {image_id} has no recorded seed.", "error")]
    seed = int(detail["seed"])
    text = f"Locked seed {seed} (from ledger image {int(detail['id'])})."
    return [update(value=True), update(value=seed, interactive=True), update(value=None), status_html(text),
            status_html(f"{text} Every run in that tab now uses it; unlock it there.")]


def build_contents() -> Any:
    contents = build_tab_contents(runtime.get_ledger, catalog_provider=catalog.host_catalog,
                                  send_to=register_send_buttons, extra_actions=add_webui_actions)
    _built["contents"] = contents
    return contents


def on_ui_tabs() -> list[tuple[gr.Blocks, str, str]]:
    """The tab, or a tab that says in one line why it is empty; never an exception into the WebUI."""
    try:
        with gr.Blocks(analytics_enabled=False) as ui:
            build_part("the ParamLab tab", build_contents, elem_id="paramlab-part-tab")
    except Exception as exc:  # noqa: BLE001 - gradio itself refused: leave the tab out, keep the WebUI
        report_failure("the ParamLab tab", exc)
        return []
    return [(ui, TAB_TITLE, TAB_ID)]


def refresh_when_opened(component: Any, **_kwargs: Any) -> None:
    """``on_after_component``: when A1111 creates the TabItem that holds this tab, selecting it refreshes
    the ledger and the section on view (A1111 builds that TabItem; only this hook can reach it)."""
    if getattr(component, "elem_id", None) != f"tab_{TAB_ID}" or "contents" not in _built:
        return
    contents = _built.pop("contents")
    on_tab_select(component, contents.refresh_open, contents.open_inputs, contents.open_outputs)
