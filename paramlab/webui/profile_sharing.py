"""Sharing profiles as one file from the panel: export (all, or the selected one) and import."""

from __future__ import annotations

import html
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from paramlab.ledger import LedgerError
from paramlab.profiles import ProfileError
from paramlab.profiles.fileformat import export_profiles, import_profiles
from paramlab.webui import catalog, runtime
from paramlab.webui.gr_compat import update

CONFLICT_CHOICES = ["ask (refuse on a name conflict)", "skip", "rename", "replace"]


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
    try:
        store = runtime.profile_store()
        profiles = [store.get(name)] if name else store.list()
        content = export_profiles(profiles)
    except (ProfileError, LedgerError) as exc:
        return [update(), _html(str(exc), error=True)]
    folder = Path(tempfile.mkdtemp(prefix="paramlab-export-"))
    target = folder / ("paramlab-profiles.json" if not name else f"paramlab-profile-{_safe(name)}.json")
    target.write_text(content, encoding="utf-8")
    return [str(target), _html(f"Exported {len(profiles)} profile(s).")]


def import_file(content: bytes | None, on_conflict: str, keep_unknown: bool) -> str:
    if not content:
        return _html("Choose a profiles file first.", error=True)
    choice = None if on_conflict == CONFLICT_CHOICES[0] else on_conflict
    try:
        report = import_profiles(runtime.profile_store(), content, on_conflict=choice,
                                 keep_unknown=bool(keep_unknown), catalog=catalog.host_catalog())
    except (ProfileError, LedgerError) as exc:
        return _html(str(exc), error=True)
    return _html(report.summary(), error=not report.ok)


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)[:60]


def _html(text: str, *, error: bool = False) -> str:
    css = "paramlab-error" if error else "paramlab-ok"
    return f"<pre class='{css}'>{html.escape(text)}</pre>"
