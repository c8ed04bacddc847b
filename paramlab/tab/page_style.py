"""The ParamLab tab's stylesheet, carried inside the page itself.

A1111 builds its page from its own Blocks and ignores the ``css=`` of an extension tab's Blocks, so a
stylesheet passed there never reaches the WebUI. The tab therefore carries its rules in a ``<style>``
element of its own (:func:`build_style`), the same on the standalone page and in the WebUI, and in
gradio 3 and 4. Every rule is scoped under the tab's element ids.

Layout: at 1400×1000 the ledger table and the selected image's detail sit side by side, each in its own
scrolling box, so both are in view and nothing scrolls sideways.
"""

from __future__ import annotations

import gradio as gr

STYLE_ELEM_ID = "paramlab-style"

PAGE_CSS = """
#paramlab-style { display: none !important; }
#paramlab-tab .paramlab-table td { vertical-align: top; }

/* The ledger: table and detail side by side, each scrolling inside its own box. */
#paramlab-ledger-body { align-items: flex-start; flex-wrap: wrap; }
#paramlab-ledger-list, #paramlab-ledger-side { min-width: 0 !important; }
#paramlab-ledger-table { max-height: 64vh; overflow-y: auto; overflow-x: hidden; }
#paramlab-ledger-detail { max-height: 52vh; overflow-y: auto; overflow-x: hidden; overflow-wrap: anywhere; }
#paramlab-ledger-table .paramlab-table { border-collapse: collapse; width: 100%; font-size: 0.85em;
  table-layout: auto; }
#paramlab-ledger-table th, #paramlab-ledger-table td { padding: 2px 4px; border-bottom: 1px solid #8884;
  text-align: left; vertical-align: middle; overflow-wrap: anywhere; word-break: break-word; }
#paramlab-ledger-table th { position: sticky; top: 0; background: var(--background-fill-primary, #fff);
  overflow-wrap: normal; word-break: keep-all; }
#paramlab-ledger-table tbody tr { cursor: pointer; }
#paramlab-ledger-table tbody tr:hover { background: #8882; }
#paramlab-ledger-table td.paramlab-num { white-space: nowrap; }
#paramlab-ledger-table td.paramlab-time { overflow-wrap: normal; word-break: keep-all; }
#paramlab-ledger-table img { width: 48px; height: 48px; object-fit: contain; display: block; }
#paramlab-ledger-detail pre { white-space: pre-wrap; word-break: break-word; overflow-wrap: anywhere;
  max-width: 100%; margin: 0.2em 0; }
#paramlab-ledger-detail table { table-layout: fixed; width: 100%; }
#paramlab-ledger-detail table td { padding: 1px 8px 1px 0; vertical-align: top; overflow-wrap: anywhere; }
#paramlab-ledger-detail table td:first-child { width: 40%; }
#paramlab-ledger-detail img { max-width: 100%; max-height: 256px; }
#paramlab-ledger-detail h3, #paramlab-ledger-detail h4 { margin: 0.5em 0 0.2em; }
.paramlab-error { color: var(--error-text-color, #b91c1c); }

/* Charts and the run view: wide charts scroll inside their own box, never the page. */
#paramlab-charts-scatter, #paramlab-charts-steps, #paramlab-charts-run { overflow-x: auto; }
#paramlab-charts-run-summary { overflow-wrap: anywhere; }
.paramlab-run-images td, .paramlab-run-images th { padding: 1px 8px 1px 0; text-align: left; }
"""


def style_html(*extra_css: str) -> str:
    return f"<style>{PAGE_CSS}{''.join(extra_css)}</style>"


def build_style(*extra_css: str) -> gr.HTML:
    """The tab's ``<style>`` element with the sections' own rules (``extra_css``), built into the open
    Blocks (its block itself is hidden by the first rule)."""
    return gr.HTML(style_html(*extra_css), elem_id=STYLE_ELEM_ID)
