"""The WebUI's logins, read from A1111's command line, as ParamLab's one :class:`AccessRule`.

A1111 protects only its own ``/sdapi`` routes with ``--api-auth`` and only its page with ``--gradio-auth``;
routes that extensions add in ``on_app_started`` are protected by neither, so every ``/paramlab/v1``
route takes its dependency from the rule built here.
"""

from __future__ import annotations

import socket
from typing import Any

from modules import errors, shared

from paramlab.ledger.actor import Actor, allowed
from paramlab.web.access import AccessRule, parse_credentials


def api_auth_text() -> str:
    return getattr(shared.cmd_opts, "api_auth", None) or ""


def gradio_auth_configured() -> bool:
    options = shared.cmd_opts
    return bool(getattr(options, "gradio_auth", None) or getattr(options, "gradio_auth_path", None))


def webui_access_rule(app: Any) -> AccessRule:
    """The rule for routes added to ``app`` (gradio's app, which keeps its login tokens in ``app.tokens``).

    An unreadable ``--api-auth`` still counts as given: such a server refuses everyone instead of
    opening up (A1111 itself does not start with one).
    """
    text = api_auth_text()
    try:
        users = tuple(parse_credentials([text]))
    except ValueError as exc:
        errors.report(f"{exc} (--api-auth); ParamLab's routes refuse every Basic login.", exc_info=False)
        users = ()
    return AccessRule(basic_users=users, basic_auth=bool(text.strip()), gradio_auth=gradio_auth_configured(),
                      gradio_app=app)


def webui_actor(user: str | None) -> Actor:
    """A WebUI user (the login, or nobody without one): may record and edit; may change locked profiles
    only when listed in Settings → ParamLab → "Users who may change locked profiles"."""
    editors = str(shared.opts.data.get("paramlab_locked_profile_editors", "") or "")
    place = f"WebUI on {socket.gethostname()}"
    return Actor(name=f"{user} ({place})" if user else place, may_edit_locked=allowed(user, editors))
