"""TEST HELPER: ``paramlab serve``'s page on loopback with two logins — "guest" views, "lead" edits — and an
HTTP client logged in as one of them, for tests of the ``/paramlab/v1`` routes behind its login."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from browser_support import free_port

from paramlab.ledger import Ledger
from paramlab.standalone import launch_page


@contextmanager
def team_page(ledger: Ledger) -> Iterator[str]:
    """The page's URL while it serves ``ledger`` with the logins guest:pw (viewer) and lead:pw2 (editor)."""
    port = free_port()
    demo = launch_page(ledger, "127.0.0.1", port, logins=[("guest", "pw"), ("lead", "pw2")], editors=["lead"])
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        demo.close()


@contextmanager
def logged_in(url: str, user: str, password: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.post("/login", data={"username": user, "password": password}).status_code == 200
        yield client
