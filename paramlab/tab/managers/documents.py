"""The one manager of named documents (profiles, character series) in the ParamLab tab: a table, a selector,
an editor, save / save as new / (duplicate) / delete, and export / import of a file, all-or-nothing.

What differs between the kinds is a :class:`DocumentKind`: their table, their editor's fields, how an
edit becomes a document, and their file. :class:`DocumentManager` makes the handlers (plain functions,
first argument the ledger, then the catalog where a kind's edits use one; they never raise) and builds
the components. Every message is escaped: names and notes come from users and from files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from paramlab import gradio_compat
from paramlab.documents import ImportReport, free_name
from paramlab.gradio_compat import update
from paramlab.ledger import Ledger
from paramlab.tab.managers.common import (
    CONFLICT_CHOICES,
    ManagerComponents,
    bind,
    conflict_choice,
    failure_as_status,
    name_of_clicked_row,
    report_html,
    safe_file_part,
    write_download,
)
from paramlab.tab.status_html import status_html

Catalog = Any  # the WebUI's names (profiles.HostCatalog), or None standalone; kinds that do not check names ignore it


@dataclass(frozen=True)
class DocumentKind:
    """What the manager needs to know of one kind of named document.

    ``many`` names the kind in element ids (``paramlab-<many>-table`` …), file names and messages; ``fields``
    are the editor's components after the info line, in the order :attr:`editor` fills them and
    :attr:`create`/:attr:`update` read them."""

    one: str
    many: str
    counted: str  # "Exported 3 <counted>."
    title: str
    selector_label: str
    headers: list[str]
    table_height: int
    error_type: type[Exception]
    store: Callable[[Ledger], Any]
    table: Callable[[Ledger, list[Any]], pd.DataFrame]
    editor: Callable[[Ledger, Any], list[Any]]  # info HTML + the fields' values for a document
    blank_fields: Callable[[], list[Any]]  # the fields' values when nothing is picked
    fields: tuple[str, ...]
    build_fields: Callable[[dict[str, Any]], None]
    create: Callable[[Ledger, Catalog, Sequence[Any]], Any]
    update: Callable[[Ledger, Catalog, str, Sequence[Any]], Any]
    export: Callable[[list[Any]], str]
    import_file: Callable[..., ImportReport]  # (store, content, on_conflict, catalog, *options)
    build_import_options: Callable[[dict[str, Any]], list[Any]] = lambda components: []
    duplicable: bool = False
    read_only: Callable[[Any], bool] = lambda document: False  # deleted without confirming: the store refuses
    wire_fields: Callable[[dict[str, Any], Callable[[], Ledger]], None] = lambda components, ledger: None


class DocumentManager:
    """The handlers and the components of the manager of one :class:`DocumentKind`."""

    def __init__(self, kind: DocumentKind):
        self.kind = kind
        editor_count = 1 + len(kind.fields)
        save_count = 3 + editor_count  # status, table, selector + the editor
        self.refresh = failure_as_status(2, status_at=None)(self._refresh)
        self.select = failure_as_status(editor_count)(self._select)
        self.save_changes = failure_as_status(save_count)(self._save_changes)
        self.save_as_new = failure_as_status(save_count)(self._save_as_new)
        self.duplicate = failure_as_status(save_count)(self._duplicate)
        self.delete = failure_as_status(save_count + 1)(self._delete)
        self.export_file = failure_as_status(2, status_at=1)(self._export_file)
        self.import_file = failure_as_status(3)(self._import_file)

    # -- reading ----------------------------------------------------------------------------------

    def listing(self, ledger: Ledger) -> tuple[pd.DataFrame, list[str]]:
        """The table and the selector's names."""
        documents = self.kind.store(ledger).list()
        return self.kind.table(ledger, documents), [document.name for document in documents]

    def _refresh(self, ledger: Ledger) -> list[Any]:
        """Table and selector choices (the selection is left as it is)."""
        frame, names = self.listing(ledger)
        return [frame, update(choices=names)]

    def _select(self, ledger: Ledger, name: str | None) -> list[Any]:
        """Fill the editor with the chosen document."""
        if not name:
            return [f"<p class='paramlab-muted'>Pick a {self.kind.one} to see and edit it.</p>",
                    *self.kind.blank_fields()]
        return self.kind.editor(ledger, self.kind.store(ledger).get(name))

    def _after_write(self, ledger: Ledger, message: str, selected: str | None) -> list[Any]:
        """Status, refreshed table and selector, and the editor showing ``selected`` as stored."""
        frame, names = self.listing(ledger)
        editor = self._select(ledger, selected)
        return [status_html(message), frame, update(choices=names, value=selected), *editor]

    # -- editing ----------------------------------------------------------------------------------

    def _save_changes(self, ledger: Ledger, catalog: Catalog, selected: str | None, *fields: Any) -> list[Any]:
        """Update the selected document from the editor (renaming allowed)."""
        if not selected:
            return self.save_changes.failure(f"Pick a {self.kind.one} to change first, or use Save as new.")
        try:
            saved = self.kind.update(ledger, catalog, selected, fields)
        except self.kind.error_type as exc:
            return self.save_changes.failure(f"Not saved: {exc}")
        return self._after_write(ledger, f"Saved '{saved.name}'.", saved.name)

    def _save_as_new(self, ledger: Ledger, catalog: Catalog, *fields: Any) -> list[Any]:
        """Store the editor's contents as a new document (the name must be free)."""
        try:
            saved = self.kind.create(ledger, catalog, fields)
        except self.kind.error_type as exc:
            return self.save_as_new.failure(f"Not saved: {exc}")
        return self._after_write(ledger, f"Saved the new {self.kind.one} '{saved.name}'.", saved.name)

    def _duplicate(self, ledger: Ledger, selected: str | None) -> list[Any]:
        """An editable copy, "Name (copy)", of any document of a duplicable kind (the way to change a starter)."""
        if not selected:
            return self.duplicate.failure(f"Pick a {self.kind.one} to duplicate first.")
        store = self.kind.store(ledger)
        source = store.get(selected)
        copy = store.duplicate(source.name, free_name(source.name, store.names(), "copy"))
        return self._after_write(ledger, f"Duplicated '{source.name}' as '{copy.name}'.", copy.name)

    def _delete(self, ledger: Ledger, selected: str | None, confirmed: bool) -> list[Any]:
        """Delete the selected document once confirmed (a read-only one gets the store's refusal)."""
        if not selected:
            return self.delete.failure(f"Pick a {self.kind.one} to delete first.")
        store = self.kind.store(ledger)
        document = store.get(selected)
        if not confirmed and not self.kind.read_only(document):
            return self.delete.failure(f"Tick 'Yes, delete' to delete '{document.name}'; nothing was deleted.")
        store.delete(document.name)
        return [*self._after_write(ledger, f"Deleted '{document.name}'.", None), False]

    # -- sharing ----------------------------------------------------------------------------------

    def _export_file(self, ledger: Ledger, selected: str | None) -> list[Any]:
        """A file for download: the selected document, or all of them for None."""
        store = self.kind.store(ledger)
        documents = [store.get(selected)] if selected else store.list()
        part = f"{self.kind.one}-{safe_file_part(selected)}" if selected else self.kind.many
        path = write_download(self.kind.export(documents), f"paramlab-{part}.json")
        return [path, status_html(f"Exported {len(documents)} {self.kind.counted}.")]

    def _import_file(self, ledger: Ledger, catalog: Catalog, content: bytes | str | None, on_conflict: str | None,
                     *options: Any) -> list[Any]:
        """All-or-nothing import with the per-entry report (escaped), then the refreshed list."""
        if not content:
            return self.import_file.failure(f"Choose a {self.kind.many} file first.")
        report = self.kind.import_file(self.kind.store(ledger), content, conflict_choice(on_conflict), catalog,
                                       *options)
        frame, names = self.listing(ledger)
        return [report_html(report.summary(), error=not report.ok), frame, update(choices=names)]

    # -- the components ---------------------------------------------------------------------------

    def build(self, ledger_provider: Callable[[], Ledger],
              catalog_provider: Callable[[], Catalog] = lambda: None) -> ManagerComponents:
        """Build the manager into the open Blocks and wire its events."""
        kind, c = self.kind, {}
        prefix = f"paramlab-{kind.many}"
        with gr.Column(elem_id=f"{prefix}-manager"):
            c["table"] = gradio_compat.text_table(kind.headers, label=kind.title, elem_id=f"{prefix}-table",
                                                  height=kind.table_height)
            with gr.Row():
                c["selector"] = gr.Dropdown(label=kind.selector_label, choices=[], value=None,
                                            elem_id=f"{prefix}-selector")
                c["refresh"] = gr.Button("Refresh", elem_id=f"{prefix}-refresh", scale=0, min_width=120)
            c["info"] = gr.HTML(elem_id=f"{prefix}-info")
            kind.build_fields(c)
            c["status"] = gr.HTML(elem_id=f"{prefix}-status")
            with gr.Row():
                c["save"] = gr.Button("Save changes", variant="primary", elem_id=f"{prefix}-save")
                c["save_new"] = gr.Button("Save as new", elem_id=f"{prefix}-save-new")
                if kind.duplicable:
                    c["duplicate"] = gr.Button("Duplicate", elem_id=f"{prefix}-duplicate")
                c["confirm"] = gr.Checkbox(False, label="Yes, delete", elem_id=f"{prefix}-confirm")
                c["delete"] = gr.Button("Delete", variant="stop", elem_id=f"{prefix}-delete")
            with gr.Accordion(f"Export / import {kind.many}", open=False, elem_id=f"{prefix}-sharing"):
                with gr.Row():
                    c["export_selected"] = gr.Button("Export selected", elem_id=f"{prefix}-export-selected")
                    c["export_all"] = gr.Button("Export all", elem_id=f"{prefix}-export-all")
                c["exported"] = gr.File(label=f"{kind.many.capitalize()} file", interactive=False,
                                        elem_id=f"{prefix}-exported")
                c["upload"] = gr.File(label=f"Import a {kind.many} file", file_types=[".json"], type="binary",
                                      elem_id=f"{prefix}-upload")
                with gr.Row():
                    c["on_conflict"] = gr.Radio(CONFLICT_CHOICES, value=CONFLICT_CHOICES[0],
                                                label="When a name exists", elem_id=f"{prefix}-conflict")
                    import_options = kind.build_import_options(c)
                c["import"] = gr.Button("Import", elem_id=f"{prefix}-import")
                c["report"] = gr.HTML(elem_id=f"{prefix}-report")
        self._wire(c, ledger_provider, catalog_provider, import_options)
        return ManagerComponents(table=c["table"], selector=c["selector"], status=c["status"],
                                 refresh=bind(self.refresh, ledger_provider), components=c)

    def _wire(self, c: dict[str, Any], ledger: Callable[[], Ledger], catalog: Callable[[], Catalog],
              import_options: list[Any]) -> None:
        fields = [c[name] for name in self.kind.fields]
        editor = [c["info"], *fields]
        after_write = [c["status"], c["table"], c["selector"], *editor]
        listing = [c["table"], c["selector"]]
        c["refresh"].click(bind(self.refresh, ledger), inputs=None, outputs=listing)
        c["selector"].change(bind(self.select, ledger), inputs=[c["selector"]], outputs=editor)
        c["table"].select(name_of_clicked_row, inputs=[c["table"]], outputs=[c["selector"]])
        self.kind.wire_fields(c, ledger)
        c["save"].click(bind(self.save_changes, ledger, catalog), inputs=[c["selector"], *fields], outputs=after_write)
        c["save_new"].click(bind(self.save_as_new, ledger, catalog), inputs=fields, outputs=after_write)
        if "duplicate" in c:
            c["duplicate"].click(bind(self.duplicate, ledger), inputs=[c["selector"]], outputs=after_write)
        c["delete"].click(bind(self.delete, ledger), inputs=[c["selector"], c["confirm"]],
                          outputs=[*after_write, c["confirm"]])
        c["export_selected"].click(bind(self.export_file, ledger), inputs=[c["selector"]],
                                   outputs=[c["exported"], c["status"]])
        c["export_all"].click(bind(self.export_file, ledger, lambda: None), inputs=None,
                              outputs=[c["exported"], c["status"]])
        c["import"].click(bind(self.import_file, ledger, catalog),
                          inputs=[c["upload"], c["on_conflict"], *import_options], outputs=[c["report"], *listing])
