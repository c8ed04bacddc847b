"""What a ``/paramlab/v1`` route is given instead of reaching for a host: the ledger, and the few things only
a running WebUI offers (its sampler catalog, replaying an image). :func:`paramlab.web.routes.register_routes`
keeps them on the app, so the WebUI and ``paramlab serve`` run the very same route functions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException, Request

from paramlab.ledger import Ledger, LedgerError
from paramlab.ledger.store import LedgerReadOnly
from paramlab.profiles import HostCatalog

Convergence = dict[tuple[str, str], int | None]
Route = tuple[str, Callable[..., Any], list[str]]
"""A route of a table: path under ``/paramlab/v1``, endpoint, methods."""


@dataclass(frozen=True)
class HostServices:
    """What only the WebUI has; ``serve`` has none of it (profiles are then checked for types and ranges only,
    and there is no reproducing or series from an image row)."""

    host_catalog: Callable[[], HostCatalog] | None = None  # the samplers, models… a profile must name
    image_row: Callable[[int], dict[str, Any]] | None = None  # one image's ledger row, for series from_image
    reproduce: Callable[[int], dict[str, Any]] | None = None  # generate an image again; its JSON comparison
    remember_convergence: Callable[[Convergence], None] | None = None  # flaw advice quotes the last answer
    current_fingerprint: Callable[[], dict[str, Any]] | None = None  # the WebUI's fingerprint now (the canary)
    inventory: Callable[[], dict[str, Any]] | None = None  # what a replay needs the WebUI to have (the canary)

    def catalog(self) -> HostCatalog | None:
        return self.host_catalog() if self.host_catalog is not None else None


@dataclass(frozen=True)
class RouteServices:
    get_ledger: Callable[[], Ledger]
    host: HostServices = field(default_factory=HostServices)


def status_for(exc: BaseException, status: int) -> int:
    """403 when ``exc`` is a viewer's refused write (``serve`` without ``--editor``), also when a store wrapped
    it in its own error (profiles, series); ``status`` otherwise."""
    refused = isinstance(exc, LedgerReadOnly) or isinstance(exc.__cause__, LedgerReadOnly)
    return 403 if refused else status


def ledger_failure(exc: LedgerError) -> HTTPException:
    """503 for a ledger that cannot be read or written (403 for a refused write), with the ledger's message."""
    return HTTPException(status_code=status_for(exc, 503), detail=str(exc))


def route_services(request: Request) -> RouteServices:
    return request.app.state.paramlab_services


def route_ledger(request: Request) -> Ledger:
    """A FastAPI dependency: the app's ledger, or 503 saying why it cannot be opened."""
    try:
        return route_services(request).get_ledger()
    except LedgerError as exc:
        raise ledger_failure(exc) from exc


def route_host(request: Request) -> HostServices:
    """A FastAPI dependency: what the host offers beyond the ledger."""
    return route_services(request).host
