"""Every ``/paramlab/v1`` route, registered by one function for the WebUI and for ``paramlab serve`` alike.

Neither host protects routes added to its app (A1111 guards only its own ``/sdapi`` routes), so each route
here goes behind the host's :class:`paramlab.tab.access.AccessRule` and acts as the user it verified
(:func:`paramlab.tab.actors.actor_dependency`): a viewer who may not write is refused by the ledger itself.
The routes take the ledger and the host's extras from the app (:mod:`paramlab.web.route_services`).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, FastAPI

from paramlab.ledger import Ledger
from paramlab.tab.access import AccessRule
from paramlab.tab.actors import Decide, actor_dependency
from paramlab.tab.files import register_file_routes
from paramlab.web.route_services import HostServices, Route, RouteServices
from paramlab.webui import api_jobs, api_routes, api_series, api_stats

PREFIX = "/paramlab/v1"


def route_table(host: HostServices) -> list[Route]:
    """The routes this host can answer: all of them, less reproducing where nothing can generate."""
    routes = [*api_routes.ROUTES, *api_series.ROUTES, *api_stats.ROUTES, *api_jobs.ROUTES]
    if host.reproduce is not None:
        routes += api_series.REPRODUCE_ROUTES
    return routes


def register_routes(app: FastAPI, get_ledger: Callable[[], Ledger], access: AccessRule, decide: Decide,
                    host: HostServices | None = None) -> bool:
    """Add every route to ``app`` once (the WebUI calls this again at each UI reload); False when it already
    has them. ``access`` is required: a forgotten rule must not mean open."""
    if getattr(app.state, "paramlab_routes", False):
        return False
    app.state.paramlab_routes = True
    host = host if host is not None else HostServices()
    app.state.paramlab_services = RouteServices(get_ledger, host)
    dependencies = [Depends(access.dependency()), Depends(actor_dependency(decide, access))]
    for path, endpoint, methods in route_table(host):
        app.add_api_route(PREFIX + path, endpoint, methods=methods, dependencies=dependencies, tags=["ParamLab"])
    register_file_routes(app, get_ledger, access=access)
    return True
