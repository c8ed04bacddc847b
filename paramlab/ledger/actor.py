"""Who is acting on the ledger right now, and what they may do: one context value for the thread or
request at hand, so every write path checks the same rule without passing a user through every call.

Set by the entry points only: the CLI (a trusted operator: may change locked profiles), the WebUI's
routes and page (the logged-in user, allowed per Settings → ParamLab), and ``python -m paramlab serve``
(read-only unless the user is an editor). Anything else (the WebUI's recording thread, tests) acts as
:data:`DEFAULT`: may write, may not change locked profiles, unnamed.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    name: str | None = None  # recorded as who changed a profile
    may_write: bool = True  # False: a viewer of a shared ledger (``serve`` without edit rights)
    may_edit_locked: bool = False  # change, approve, unlock or delete a locked profile
    read_only_reason: str = ""  # said when a write is refused


DEFAULT = Actor()
_current: ContextVar[Actor] = ContextVar("paramlab_actor", default=DEFAULT)


def current() -> Actor:
    return _current.get()


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Everything in the block (and the threads it hands work to through ``contextvars``) acts as ``actor``."""
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def set_for_request(actor: Actor) -> None:
    """For the rest of this request's context (an async FastAPI dependency, a wrapped gradio call)."""
    _current.set(actor)


def operator() -> Actor:
    """The person at this machine's command line: trusted with the style guide."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown user"
    return Actor(name=f"{user}@{socket.gethostname()} (command line)", may_edit_locked=True)


def allowed(user: str | None, allowed_users: str | list[str] | tuple[str, ...]) -> bool:
    """Whether ``user`` is in a list of users ("alice, bob", or ``*`` for everyone)."""
    names = [part.strip() for part in allowed_users.split(",")] if isinstance(allowed_users, str) \
        else [str(part).strip() for part in allowed_users]
    names = [name for name in names if name]
    return "*" in names or (user is not None and user in names)
