"""HTTP API under ``/paramlab/v1``, every route behind the one login rule of :mod:`paramlab.webui.access`.

A1111 does not protect routes that extensions add in ``on_app_started``, so ``--api-auth`` (HTTP Basic)
and ``--gradio-auth`` (the page's login cookie) are checked here; images also take the tab's signed links.
Bodies are plain JSON objects validated by ParamLab itself, so the routes work with pydantic 1
(A1111) and pydantic 2 (Forge) alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Body, Depends, FastAPI, HTTPException, Query
from fastapi.responses import JSONResponse, Response

from paramlab.ledger import LedgerError
from paramlab.profiles import Profile, ProfileError, ProfileNotFound
from paramlab.profiles.fileformat import export_profiles, import_profiles
from paramlab.profiles.store import ProfileLocked
from paramlab.tab.actors import act_per_event, actor_dependency
from paramlab.tab.files import register_file_routes
from paramlab.web.images import register_image_routes
from paramlab.webui import api_jobs, api_series, api_stats, catalog, runtime
from paramlab.webui.access import webui_access_rule, webui_actor

PREFIX = "/paramlab/v1"


def profile_json(profile: Profile) -> dict[str, Any]:
    return {
        "name": profile.name, "description": profile.description, "model_scope": profile.model_scope,
        "settings": profile.settings, "starter": profile.starter, "unusable_reason": profile.unusable_reason,
        "approved": profile.approved, "locked": profile.locked, "version": profile.version,
    }


def _guard(action: Callable[[], Any]) -> Any:
    """Map ParamLab's errors to HTTP answers with the same clear message as the UI."""
    try:
        return action()
    except ProfileNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except ProfileLocked as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from exc
    except ProfileError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    except ValueError as exc:  # pydantic validation of a profile body
        raise HTTPException(status_code=422, detail=f"ParamLab: invalid profile: {exc}") from exc
    except LedgerError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc


def _profile_from_body(body: dict[str, Any]) -> Profile:
    if not isinstance(body, dict):
        raise ProfileError("ParamLab: the body must be a JSON object with name, description, model_scope, settings.")
    allowed = {"name", "description", "model_scope", "settings"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ProfileError(f"ParamLab: unknown field(s) {unknown}; allowed: {sorted(allowed)}.")
    return Profile(**body)


def list_profiles() -> list[dict[str, Any]]:
    from paramlab.profiles.stats import profile_figures

    def run() -> list[dict[str, Any]]:
        figures = profile_figures(runtime.get_ledger())
        result = []
        for profile in runtime.profile_store().list():
            entry = profile_json(profile)
            measured = figures.get(profile.name.lower())
            entry["figures"] = measured.__dict__ if measured is not None else None
            result.append(entry)
        return result

    return _guard(run)


def get_profile(name: str) -> dict[str, Any]:
    return _guard(lambda: profile_json(runtime.profile_store().get(name)))


def create_profile(body: dict[str, Any] = Body(...)) -> JSONResponse:  # noqa: B008
    created = _guard(lambda: runtime.profile_store().create(_profile_from_body(body), catalog=catalog.host_catalog()))
    return JSONResponse(profile_json(created), status_code=201)


def update_profile(name: str, body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    return _guard(lambda: profile_json(
        runtime.profile_store().update(name, _profile_from_body(body), catalog=catalog.host_catalog())))


def delete_profile(name: str) -> Response:
    _guard(lambda: runtime.profile_store().delete(name))
    return Response(status_code=204)


def guide_route(name: str, body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    """Body: {"approved": bool, "locked": bool} (either or both). Only users allowed to change locked profiles."""
    flags = {key: body.get(key) for key in ("approved", "locked")} if isinstance(body, dict) else {}
    if set(body if isinstance(body, dict) else ()) - {"approved", "locked"} or not any(
            isinstance(value, bool) for value in flags.values()):
        raise HTTPException(status_code=422,
                            detail='ParamLab: send {"approved": true|false} and/or {"locked": true|false}.')
    return _guard(lambda: profile_json(runtime.profile_store().set_guide(
        name, **{key: value for key, value in flags.items() if isinstance(value, bool)})))


def history_route(name: str) -> list[dict[str, Any]]:
    return _guard(lambda: [dict(version, changed_at=version["changed_at"].isoformat())
                           for version in runtime.profile_store().history(name)])


def export_route(name: list[str] | None = Query(default=None)) -> Response:  # noqa: B008
    def run() -> str:
        store = runtime.profile_store()
        profiles = [store.get(each) for each in name] if name else store.list()
        return export_profiles(profiles)

    return Response(content=_guard(run), media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="paramlab-profiles.json"'})


def import_route(body: dict[str, Any] = Body(...)) -> JSONResponse:  # noqa: B008
    """Body: {"content": <the file's JSON, as text or object>, "on_conflict": "skip"|"rename"|"replace",
    "keep_unknown": false}. All or nothing: 200 with the report, or 422 with it and nothing changed."""
    import json

    content = body.get("content") if isinstance(body, dict) else None
    if content is None:
        raise HTTPException(status_code=422, detail="ParamLab: the body needs 'content' (the profiles file).")
    text = content if isinstance(content, str) else json.dumps(content)
    report = _guard(lambda: import_profiles(
        runtime.profile_store(), text, on_conflict=body.get("on_conflict"),
        keep_unknown=bool(body.get("keep_unknown", False)), catalog=catalog.host_catalog()))
    payload = {"ok": report.ok, "summary": report.summary(),
               "entries": [entry.__dict__ for entry in report.entries]}
    return JSONResponse(payload, status_code=200 if report.ok else 422)


def register(demo: Any, app: FastAPI) -> None:
    """``on_app_started``: fires at every start and UI reload, so routes are only added once per app."""
    if demo is not None:
        act_per_event(demo, webui_actor)  # page events act as their logged-in user (a new demo at each reload)
    if getattr(app.state, "paramlab_routes", False):
        return
    app.state.paramlab_routes = True
    access = webui_access_rule(app)
    deps = [Depends(access.dependency()), Depends(actor_dependency(webui_actor, access))]
    routes = [
        ("/profiles", list_profiles, ["GET"]),
        ("/profiles", create_profile, ["POST"]),
        ("/profiles/export", export_route, ["GET"]),
        ("/profiles/import", import_route, ["POST"]),
        ("/profiles/{name}", get_profile, ["GET"]),
        ("/profiles/{name}", update_profile, ["PUT"]),
        ("/profiles/{name}", delete_profile, ["DELETE"]),
        ("/profiles/{name}/guide", guide_route, ["PUT"]),
        ("/profiles/{name}/history", history_route, ["GET"]),
    ]
    for path, endpoint, methods in routes:
        app.add_api_route(PREFIX + path, endpoint, methods=methods, dependencies=deps, tags=["ParamLab"])
    api_series.register(app, PREFIX, deps)
    api_stats.register(app, PREFIX, deps)
    api_jobs.register(app, PREFIX, deps)
    register_image_routes(app, runtime.get_ledger, deps)
    register_file_routes(app, runtime.get_ledger, access=access)
