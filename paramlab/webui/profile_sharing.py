"""Sharing profiles as one file from the panel: export (all, or the selected one) and import."""

from __future__ import annotations

from typing import Any

import gradio as gr

from paramlab.tab.managers.sections import CONFLICT_CHOICES, export_profiles_file, import_profiles_file
from paramlab.webui import catalog, runtime


def build_sharing(elem_id: Any, dropdown: Any, refresh_choices: Any) -> None:
    with gr.Accordion("Share profiles (one file)", open=False, elem_id=elem_id("profile_sharing")):
        with gr.Row():
            export_selected = gr.Button("Export selected", elem_id=elem_id("profile_export_selected"))
            export_all = gr.Button("Export all", elem_id=elem_id("profile_export_all"))
        exported = gr.File(label="Profiles file", interactive=False, elem_id=elem_id("profile_export_file"))
        upload = gr.File(label="Import a profiles file", file_types=[".json"], type="binary",
                         elem_id=elem_id("profile_import_file"))
        with gr.Row():
            on_conflict = gr.Radio(CONFLICT_CHOICES, value=CONFLICT_CHOICES[0], label="When a name exists",
                                   elem_id=elem_id("profile_import_conflict"))
            keep_unknown = gr.Checkbox(False, label="Keep profiles naming samplers/models this WebUI lacks "
                                       "(marked unusable)", elem_id=elem_id("profile_import_keep_unknown"))
        import_button = gr.Button("Import", elem_id=elem_id("profile_import"))
        report = gr.HTML(elem_id=elem_id("profile_import_report"))
    export_selected.click(fn=export_file, inputs=[dropdown], outputs=[exported, report], show_progress=False)
    export_all.click(fn=lambda: export_file(None), inputs=[], outputs=[exported, report], show_progress=False)
    import_button.click(fn=import_file, inputs=[upload, on_conflict, keep_unknown], outputs=[report],
                        show_progress=False).then(fn=refresh_choices, inputs=[dropdown], outputs=[dropdown])


def export_file(name: str | None) -> list[Any]:
    """The selected profile (or all of them) as a file to download; the same handler as the tab's manager."""
    return export_profiles_file(runtime.get_ledger(), name)


def import_file(content: bytes | None, on_conflict: str, keep_unknown: bool) -> str:
    """All-or-nothing import, checked against this WebUI's samplers and models; returns the report."""
    report, _table, _choices = import_profiles_file(runtime.get_ledger(), catalog.host_catalog(), content,
                                                    on_conflict, keep_unknown)
    return report
