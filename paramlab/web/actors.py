"""Who is behind a page event or an HTTP request, as a :class:`paramlab.ledger.actor.Actor`.

The tab's handlers do not take the user: every page event of a gradio app goes through
``Blocks.process_api``, so wrapping that one method sets the actor for the whole event (gradio runs
the handler in a worker thread that inherits the context), and every write path then checks the same
rule (:meth:`paramlab.ledger.Ledger.write`, the profile lock). HTTP routes get the same from an async
dependency, for the user the login rule verified.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from fastapi import Request

from paramlab.ledger.actor import Actor, set_for_request
from paramlab.web.access import AccessRule

Decide = Callable[[str | None], Actor]
"""From the logged-in user name (None: no login) to what that user may do."""


def _username(request: Any) -> str | None:
    if isinstance(request, list):
        request = request[0] if request else None
    name = getattr(request, "username", None)
    return str(name) if name else None


def act_per_event(blocks: Any, decide: Decide) -> None:
    """Make every event of ``blocks`` run as the actor ``decide`` gives for its logged-in user. Idempotent."""
    original = blocks.process_api
    if getattr(original, "paramlab_actor", False):
        return

    @functools.wraps(original)
    async def process_api(*args: Any, **kwargs: Any) -> Any:
        request = kwargs.get("request", args[3] if len(args) > 3 else None)
        set_for_request(decide(_username(request)))  # this task's context only; the handler's thread copies it
        return await original(*args, **kwargs)

    process_api.paramlab_actor = True  # type: ignore[attr-defined]
    blocks.process_api = process_api


def actor_dependency(decide: Decide, access: AccessRule) -> Callable[[Request], Any]:
    """A FastAPI dependency (async, so the actor it sets is seen by the route it guards). The user is the one
    whose credentials ``access`` checked (:meth:`AccessRule.verified_user`), never a name a request claims."""

    async def paramlab_actor(request: Request) -> None:
        set_for_request(decide(access.verified_user(request)))

    return paramlab_actor
