"""Every ``/paramlab/v1`` route, registered by one function for the WebUI and for ``paramlab serve`` alike.

Neither host protects routes added to its app (A1111 guards only its own ``/sdapi`` routes), so each route
here goes behind the host's :class:`paramlab.web.access.AccessRule` and acts as the user it verified
(:func:`paramlab.web.actors.actor_dependency`): a viewer who may not write is refused by the ledger itself.
The routes take the ledger and the host's extras from the app (:mod:`paramlab.web.route_services`).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, FastAPI

from paramlab.ledger import Ledger
from paramlab.web import canary_routes, fingerprint_routes, job_routes, profile_routes, series_routes, stats_routes
from paramlab.web.access import AccessRule
from paramlab.web.actors import Decide, actor_dependency
from paramlab.web.image_files import register_file_routes
from paramlab.web.images import register_image_routes
from paramlab.web.input_files import register_input_routes
from paramlab.web.route_services import HostServices, Route, RouteServices

PREFIX = "/paramlab/v1"


def route_table(host: HostServices) -> list[Route]:
    """Every route (path under :data:`PREFIX`, endpoint, methods), less reproducing and the fingerprint where
    nothing can generate."""
    routes: list[Route] = [
        ("/profiles", profile_routes.list_profiles, ["GET"]),
        ("/profiles", profile_routes.create_profile, ["POST"]),
        ("/profiles/export", profile_routes.export_route, ["GET"]),
        ("/profiles/import", profile_routes.import_route, ["POST"]),
        ("/profiles/{name}", profile_routes.get_profile, ["GET"]),
        ("/profiles/{name}", profile_routes.update_profile, ["PUT"]),
        ("/profiles/{name}", profile_routes.delete_profile, ["DELETE"]),
        ("/profiles/{name}/guide", profile_routes.guide_route, ["PUT"]),
        ("/profiles/{name}/history", profile_routes.history_route, ["GET"]),
        ("/series", series_routes.list_series, ["GET"]),
        ("/series", series_routes.create_series, ["POST"]),
        ("/series/{name}", series_routes.get_series, ["GET"]),
        ("/series/{name}", series_routes.update_series, ["PUT"]),
        ("/series/{name}", series_routes.delete_series, ["DELETE"]),
        ("/stats/pareto", stats_routes.pareto, ["GET"]),
        ("/stats/convergence", stats_routes.convergence, ["GET"]),
        ("/images/{image_id}/rating", stats_routes.set_rating, ["PUT"]),
        ("/jobs", job_routes.jobs_route, ["GET"]),
        ("/jobs/{key}", job_routes.job_route, ["GET"]),
        *canary_routes.CANARY_ROUTES,
    ]
    if host.reproduce is not None:
        routes.append(("/images/{image_id}/reproduce", series_routes.reproduce_image, ["POST"]))
    if host.current_fingerprint is not None:
        routes.append(("/fingerprint", fingerprint_routes.current_fingerprint, ["GET"]))
    if host.inventory is not None:
        routes.append(("/inventory", fingerprint_routes.host_inventory, ["GET"]))
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
    register_image_routes(app, PREFIX, dependencies)
    register_file_routes(app, get_ledger, access=access)
    register_input_routes(app, get_ledger, access=access)
    return True
