"""The ParamLab page outside the WebUI (``python -m paramlab serve``): the very same tab as in the
WebUI (ledger, charts, profiles, series), on an embedded ledger, bound to 127.0.0.1 by default.

Differences from the WebUI tab: there are no "Send to txt2img/img2img" buttons, and profile names
are checked for types and ranges only (no sampler registry outside the WebUI).
"""

from __future__ import annotations

import os

import gradio as gr

from paramlab import gradio_compat as gr_compat
from paramlab.ledger import Ledger
from paramlab.tab.files import register_file_routes
from paramlab.tab.ledger_render import VIEW_CSS
from paramlab.tab.page import TAB_CSS, build_tab_contents


def build_page(ledger: Ledger) -> gr.Blocks:
    with gr.Blocks(
        title="ParamLab", analytics_enabled=False, theme=gr_compat.offline_theme(), css=VIEW_CSS + TAB_CSS
    ) as demo:
        gr.Markdown("# ParamLab")
        build_tab_contents(lambda: ledger)
    return demo


def page_url(host: str, port: int) -> str:
    shown_host = f"[{host}]" if ":" in host else host
    return f"http://{shown_host}:{port}/"


def serve(ledger: Ledger, host: str = "127.0.0.1", port: int = 7870) -> None:
    """Serve the page until Ctrl-C. Local only: no share link, no analytics, no outside fonts."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    demo = build_page(ledger)
    print(f"ParamLab: ledger {ledger.describe()}", flush=True)
    try:
        demo.queue().launch(server_name=host, server_port=port, share=False, inbrowser=False, show_api=False,
                            quiet=True, prevent_thread_lock=True)
    except OSError as exc:
        raise SystemExit(
            f"ParamLab: cannot listen on {host}:{port}. Another program may be using that port (choose "
            "another with --port), or that address does not belong to this machine (--host)."
        ) from exc
    register_file_routes(demo.server_app, lambda: ledger)
    print(f"ParamLab: open {page_url(host, port)} (Ctrl-C stops the server)", flush=True)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        demo.close()
