"""The WebUI's ``on_app_started`` for ParamLab's HTTP API: :func:`paramlab.web.routes.register_routes` with
the WebUI's logins (:mod:`paramlab.webui.access`), its users and what only the WebUI can do (its catalog of
samplers and models, replaying an image)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from paramlab.web.actors import act_per_event
from paramlab.web.route_services import HostServices
from paramlab.web.routes import register_routes
from paramlab.webui import catalog, runtime
from paramlab.webui.access import webui_access_rule, webui_actor


def image_row(image_id: int) -> dict[str, Any]:
    from paramlab.webui.reproduce import load_row  # imports A1111's processing: only when asked

    return load_row(image_id)


def reproduce(image_id: int) -> dict[str, Any]:
    from paramlab.webui.reproduce import reproduce as reproduce_image

    return reproduce_image(image_id).to_json()


def fingerprint_now() -> dict[str, Any]:
    from paramlab.webui.fingerprint import current_fingerprint

    return current_fingerprint(None)


def inventory_now() -> dict[str, Any]:
    import dataclasses

    from paramlab.webui.host_inventory import host_inventory

    return dataclasses.asdict(host_inventory())


WEBUI_SERVICES = HostServices(host_catalog=catalog.host_catalog, image_row=image_row, reproduce=reproduce,
                              remember_convergence=runtime.remember_convergence, current_fingerprint=fingerprint_now,
                              inventory=inventory_now)


def register(demo: Any, app: FastAPI) -> None:
    """``on_app_started``: fires at every start and UI reload; the routes are added once per app."""
    if demo is not None:
        act_per_event(demo, webui_actor)  # page events act as their logged-in user (a new demo at each reload)
    if not getattr(app.state, "paramlab_routes", False):
        register_routes(app, runtime.get_ledger, webui_access_rule(app), webui_actor, WEBUI_SERVICES)
