"""The ledger view of the ParamLab tab: filters, a paged table, one image's detail, and actions on it.

Built into whatever Blocks is open, so the WebUI tab and ``python -m paramlab serve`` show the same
view. The handlers live in :mod:`paramlab.tab.ledger_view.actions`; every string they return as HTML was
escaped in :mod:`paramlab.tab.ledger_view.render`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from paramlab import gradio_compat
from paramlab.ledger import Ledger
from paramlab.tab.canary.view import build_pin_row
from paramlab.tab.image_links import OPEN_IMAGE_JS
from paramlab.tab.ledger_view import render
from paramlab.tab.ledger_view.actions import (
    ANY,
    EXPORT_CHOICES,
    FILTER_FIELDS,
    RATING_CHOICES,
    REPLAY_CHOICES,
    SORT_CHOICES,
    LedgerActions,
)
from paramlab.tab.status_html import status_html


@dataclass
class LedgerViewComponents:
    """The view's components. ``refresh(*inputs)`` fills ``outputs``: wire it to tab selection."""

    actions: LedgerActions
    filters: dict[str, Any]
    apply_button: Any
    refresh_button: Any
    table: Any
    pager: Any
    page_state: Any
    prev_button: Any
    next_button: Any
    message: Any
    selected: Any
    detail: Any
    infotext_box: Any
    rating_buttons: dict[int | None, Any]
    lock_button: Any
    seed_box: Any
    series_name: Any
    series_button: Any
    delete_file: Any
    confirm: Any
    delete_button: Any
    export_format: Any
    export_button: Any
    export_file: Any
    action_status: Any
    page_outputs: list[Any] = field(default_factory=list)
    option_outputs: list[Any] = field(default_factory=list)

    @property
    def inputs(self) -> list[Any]:
        return [*self.filters.values(), self.page_state]

    @property
    def outputs(self) -> list[Any]:
        return [*self.page_outputs, *self.option_outputs]

    @property
    def refresh(self) -> Callable[..., list[Any]]:
        return self.actions.refresh


def _dropdown(label: str, elem_id: str) -> Any:
    return gr.Dropdown(choices=[ANY], value=ANY, label=label, elem_id=elem_id, allow_custom_value=False)


def build_ledger_view(ledger_provider: Callable[[], Ledger], *,
                      send_to: Callable[[Any], None] | None = None,
                      extra_actions: Callable[[Any, Any], None] | None = None) -> LedgerViewComponents:
    """Build the view into the open Blocks and wire its events.

    ``send_to(infotext_box)`` is called inside the actions row when given (the WebUI registers A1111's
    paste buttons there); without it, as on the standalone page, there are no send buttons. Page load
    fills the table, installs the in-place image links (:mod:`paramlab.tab.image_links`) and opens
    ``?image=<id>``; the caller wires tab selection to ``refresh``.
    """
    actions = LedgerActions(ledger_provider)
    with gr.Column(elem_id="paramlab-ledger-view"):
        with gr.Row():
            date_from = gr.Textbox(label="From (YYYY-MM-DD)", placeholder="YYYY-MM-DD", max_lines=1,
                                   elem_id="paramlab-filter-from")
            date_to = gr.Textbox(label="To (YYYY-MM-DD)", placeholder="YYYY-MM-DD", max_lines=1,
                                 elem_id="paramlab-filter-to")
            model = _dropdown("Model", "paramlab-filter-model")
            profile = _dropdown("Profile", "paramlab-filter-profile")
            series = _dropdown("Series", "paramlab-filter-series")
            sampler = _dropdown("Sampler", "paramlab-filter-sampler")
            scheduler = _dropdown("Schedule type", "paramlab-filter-scheduler")
        with gr.Row():
            steps_min = gr.Number(label="Steps from (0 = any)", value=None, precision=0,
                                  elem_id="paramlab-filter-steps-min")
            steps_max = gr.Number(label="Steps to (0 = any)", value=None, precision=0,
                                  elem_id="paramlab-filter-steps-max")
            cfg_min = gr.Number(label="CFG from (0 = any)", value=None, elem_id="paramlab-filter-cfg-min")
            cfg_max = gr.Number(label="CFG to (0 = any)", value=None, elem_id="paramlab-filter-cfg-max")
            rating = gr.Dropdown(choices=list(RATING_CHOICES), value=ANY, label="Rating",
                                 elem_id="paramlab-filter-rating")
            flaw = _dropdown("Flaw", "paramlab-filter-flaw")
            replay = gr.Dropdown(choices=list(REPLAY_CHOICES), value=ANY, label="Replay",
                                 elem_id="paramlab-filter-replay")
        with gr.Row():
            text = gr.Textbox(label="Prompt contains", placeholder="words in the prompt", max_lines=1,
                              elem_id="paramlab-filter-text", scale=3)
            extension = gr.Textbox(label="Extension setting", placeholder="ControlNet:unit 0 model=openpose",
                                   max_lines=1, elem_id="paramlab-filter-extension", scale=2)
            sort = gr.Dropdown(choices=list(SORT_CHOICES), value="newest first", label="Order",
                               elem_id="paramlab-filter-sort", scale=1)
            apply_button = gr.Button("Apply filters", variant="primary", elem_id="paramlab-ledger-apply", scale=0,
                                     min_width=140)
            refresh_button = gr.Button("Refresh", elem_id="paramlab-ledger-refresh", scale=0, min_width=100)
        message = gr.HTML("", elem_id="paramlab-ledger-message")
        page_state = gr.State(1)
        # Table and detail side by side (see page_style), so both are in view at 1400×1000.
        with gr.Row(elem_id="paramlab-ledger-body", equal_height=False):
            with gr.Column(scale=3, min_width=520, elem_id="paramlab-ledger-list"):
                table = gr.HTML(status_html("Loading…", "note"), elem_id="paramlab-ledger-table")
                with gr.Row():
                    prev_button = gr.Button("◀ Previous", elem_id="paramlab-ledger-prev", scale=0, min_width=110)
                    pager = gr.HTML("", elem_id="paramlab-ledger-pager")
                    next_button = gr.Button("Next ▶", elem_id="paramlab-ledger-next", scale=0, min_width=110)
            with gr.Column(scale=2, min_width=400, elem_id="paramlab-ledger-side"):
                with gr.Row():
                    selected = gr.Textbox(label="Image id", max_lines=1, elem_id=render.SELECTED_ELEM_ID)
                    action_status = gr.HTML("", elem_id="paramlab-ledger-action-status")
                infotext_box = gr.Textbox(visible=False, elem_id="paramlab-ledger-infotext")
                with gr.Row():
                    rating_buttons = {n: gr.Button("★" * n, min_width=40, elem_id=f"paramlab-rate-{n}")
                                      for n in range(1, 6)}
                    rating_buttons[None] = gr.Button("Clear rating", min_width=80, elem_id="paramlab-rate-clear")
                if send_to is not None:
                    with gr.Row():
                        send_to(infotext_box)
                if extra_actions is not None:  # WebUI-only actions on the selected image (reproduce, lock)
                    with gr.Row():
                        extra_actions(selected, action_status)
                detail = gr.HTML(render.detail_html(None), elem_id="paramlab-ledger-detail")
                build_pin_row(ledger_provider, selected, action_status)
                with gr.Row():
                    lock_button = gr.Button("Show the seed", elem_id="paramlab-ledger-lock-seed")
                    seed_box = gr.Textbox(label="Seed", interactive=False, max_lines=1,
                                          elem_id="paramlab-ledger-seed", show_copy_button=True)
                with gr.Row():
                    series_name = gr.Textbox(label="New series name", max_lines=1,
                                             elem_id="paramlab-ledger-series-name")
                    series_button = gr.Button("Create series from this image", elem_id="paramlab-ledger-series-create")
                with gr.Row():
                    delete_file = gr.Checkbox(label="Also delete the image file", value=False,
                                              elem_id="paramlab-ledger-delete-file")
                    confirm = gr.Checkbox(label="I confirm", value=False, elem_id="paramlab-ledger-delete-confirm")
                    delete_button = gr.Button("Delete row", variant="stop", elem_id="paramlab-ledger-delete")
                with gr.Row():
                    export_format = gr.Radio(list(EXPORT_CHOICES), value="csv", label="Export the filtered rows as",
                                             elem_id="paramlab-ledger-export-format")
                    export_button = gr.Button("Export filtered", elem_id="paramlab-ledger-export")
                export_file = gr.File(label="Export", interactive=False, elem_id="paramlab-ledger-export-file")

    filters = dict(zip(FILTER_FIELDS, (date_from, date_to, model, profile, series, sampler, scheduler, steps_min,
                                       steps_max, cfg_min, cfg_max, rating, flaw, text, sort, extension, replay)))
    view = LedgerViewComponents(
        actions, filters, apply_button, refresh_button, table, pager, page_state, prev_button, next_button, message,
        selected, detail, infotext_box, rating_buttons, lock_button, seed_box, series_name, series_button,
        delete_file, confirm, delete_button, export_format, export_button, export_file, action_status,
        page_outputs=[table, pager, page_state, message],
        option_outputs=[model, profile, series, sampler, scheduler, flaw],
    )
    filter_inputs = list(filters.values())
    apply_button.click(actions.apply, inputs=filter_inputs, outputs=view.page_outputs)
    text.submit(actions.apply, inputs=filter_inputs, outputs=view.page_outputs)
    extension.submit(actions.apply, inputs=filter_inputs, outputs=view.page_outputs)
    refresh_button.click(actions.refresh, inputs=view.inputs, outputs=view.outputs)
    prev_button.click(actions.previous, inputs=view.inputs, outputs=view.page_outputs)
    next_button.click(actions.next, inputs=view.inputs, outputs=view.page_outputs)
    detail_outputs = [detail, infotext_box, action_status]
    selected.change(actions.detail, inputs=[selected], outputs=detail_outputs)
    for value, button in rating_buttons.items():  # the table's ★ column follows at once
        button.click(lambda chosen, *values, value=value: actions.rate(value, chosen, *values),
                     inputs=[selected, *view.inputs], outputs=[detail, action_status, *view.page_outputs])
    lock_button.click(actions.show_seed, inputs=[selected], outputs=[seed_box, action_status])
    series_button.click(actions.create_series, inputs=[selected, series_name], outputs=[action_status])
    delete_button.click(actions.delete, inputs=[selected, delete_file, confirm, *view.inputs],
                        outputs=[action_status, confirm, selected, *view.page_outputs])
    export_button.click(actions.export, inputs=[export_format, *filter_inputs], outputs=[export_file, action_status])

    root = gradio_compat.current_blocks()
    if root is not None:  # page load: fill the table and dropdowns, follow image links, open ?image=<id>
        start = gradio_compat.initial_values(view.inputs)  # a page always loads with these
        root.load(lambda: actions.refresh(*start), inputs=None, outputs=view.outputs)
        gradio_compat.on_page_load(root, actions.open_from_page, outputs=[selected, *detail_outputs],
                                   page_js=OPEN_IMAGE_JS, page_input=selected)
    return view
