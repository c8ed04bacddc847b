"""The ParamLab page outside the WebUI (``python -m paramlab serve``): the very same tab as in the
WebUI (ledger, charts, profiles, series), on an embedded ledger, bound to 127.0.0.1 by default.

With logins (``--auth``; required off loopback, see :mod:`paramlab.cli`) gradio asks for one, and the
``/paramlab/v1`` routes (the WebUI's very same, :func:`paramlab.web.routes.register_routes`) accept the login
cookie only, images the tab's signed links too. A team's viewer is read-only: only the
users named with ``--editor`` may rate, delete or edit profiles and series (locked profiles stay for the
command line), checked where every write goes through (:mod:`paramlab.ledger.actor`). gradio's ``/file=``
hands out the page's own downloads only, and other sites cannot drive the page
(:mod:`paramlab.web.standalone_guard`).

Differences from the WebUI tab: there are no "Send to txt2img/img2img" buttons, and profile names
are checked for types and ranges only (no sampler registry outside the WebUI); the HTTP API has no
reproducing of an image and no series ``from_image``.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence

import gradio as gr

from paramlab import gradio_compat as gr_compat
from paramlab.ledger import Ledger
from paramlab.ledger.actor import Actor, allowed
from paramlab.tab.page import build_tab_contents
from paramlab.web.access import AccessRule
from paramlab.web.actors import act_per_event
from paramlab.web.routes import register_routes
from paramlab.web.standalone_guard import guard_app_kwargs


def build_page(ledger: Ledger) -> gr.Blocks:
    with gr.Blocks(title="ParamLab", analytics_enabled=False, theme=gr_compat.offline_theme()) as demo:
        gr.Markdown("# ParamLab")
        build_tab_contents(lambda: ledger)
    return demo


def page_url(host: str, port: int) -> str:
    shown_host = f"[{host}]" if ":" in host else host
    return f"http://{shown_host}:{port}/"


def page_actor(logins: Sequence[tuple[str, str]], editors: Sequence[str]) -> Callable[[str | None], Actor]:
    """Without logins the page is one person's (on loopback): they may edit. With logins, only editors may."""
    here = socket.gethostname()

    def decide(user: str | None) -> Actor:
        name = f"{user or 'local user'} (viewer on {here})"
        if not logins or allowed(user, list(editors)):
            return Actor(name=name)
        return Actor(name=name, may_write=False, read_only_reason=(
            f"ParamLab: {user or 'this user'} may view this ledger but not change it. Whoever runs the viewer can "
            f"allow it with --editor {user or 'USER'}."))

    return decide


def launch_page(ledger: Ledger, host: str = "127.0.0.1", port: int = 7870,
                logins: Sequence[tuple[str, str]] = (), editors: Sequence[str] = ()) -> gr.Blocks:
    """Start serving the page without blocking. Local only: no share link, no analytics, no outside fonts."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    demo = build_page(ledger)
    actor = page_actor(logins, editors)
    act_per_event(demo, actor)
    try:
        demo.queue().launch(server_name=host, server_port=port, share=False, inbrowser=False, show_api=False,
                            quiet=True, prevent_thread_lock=True, auth=list(logins) or None,
                            auth_message="ParamLab: log in with a user from --auth or --auth-file.",
                            app_kwargs=guard_app_kwargs(gr_compat.own_files_folder()))
    except OSError as exc:
        raise SystemExit(
            f"ParamLab: cannot listen on {host}:{port}. Another program may be using that port (choose "
            "another with --port), or that address does not belong to this machine (--host)."
        ) from exc
    access = AccessRule(gradio_auth=bool(logins), gradio_app=demo.server_app)
    register_routes(demo.server_app, lambda: ledger, access, actor)
    return demo


def serve(ledger: Ledger, host: str = "127.0.0.1", port: int = 7870,
          logins: Sequence[tuple[str, str]] = (), editors: Sequence[str] = ()) -> None:
    """Serve the page until Ctrl-C."""
    print(f"ParamLab: ledger {ledger.describe()}", flush=True)
    demo = launch_page(ledger, host, port, logins, editors)
    login_note = f", login required ({len(logins)} user(s))" if logins else ""
    if logins:
        login_note += f", read-only except for {', '.join(editors)}" if editors else ", read-only for everyone"
    print(f"ParamLab: open {page_url(host, port)}{login_note} (Ctrl-C stops the server)", flush=True)
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        demo.close()
