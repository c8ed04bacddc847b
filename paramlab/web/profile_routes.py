"""``/paramlab/v1/profiles``: list, read, create, change, delete, guide, history, export and import.

Registered with every other route by :func:`paramlab.web.routes.register_routes`, behind its login rule.
Bodies are plain JSON objects validated by ParamLab itself, so the routes work with pydantic 1
(A1111) and pydantic 2 (Forge) alike. Names are checked against the WebUI's samplers and models when the
host offers its catalog (:class:`paramlab.web.route_services.HostServices`), for types and ranges otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Body, Depends, HTTPException, Query
from fastapi.responses import JSONResponse, Response

from paramlab.ledger import Ledger, LedgerError
from paramlab.profiles import Profile, ProfileError, ProfileNotFound, ProfileStore
from paramlab.profiles.fileformat import export_profiles, import_profiles
from paramlab.profiles.store import ProfileLocked
from paramlab.web.route_services import HostServices, ledger_failure, route_host, route_ledger, status_for


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
        raise HTTPException(status_code=status_for(exc, 422), detail=str(exc)) from exc
    except ValueError as exc:  # pydantic validation of a profile body
        raise HTTPException(status_code=422, detail=f"ParamLab: invalid profile: {exc}") from exc
    except LedgerError as exc:
        raise ledger_failure(exc) from exc


def _profile_from_body(body: dict[str, Any]) -> Profile:
    if not isinstance(body, dict):
        raise ProfileError("ParamLab: the body must be a JSON object with name, description, model_scope, settings.")
    allowed = {"name", "description", "model_scope", "settings"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ProfileError(f"ParamLab: unknown field(s) {unknown}; allowed: {sorted(allowed)}.")
    return Profile(**body)


def list_profiles(ledger: Ledger = Depends(route_ledger)) -> list[dict[str, Any]]:
    from paramlab.profiles.stats import profile_figures

    def run() -> list[dict[str, Any]]:
        figures = profile_figures(ledger)
        result = []
        for profile in ProfileStore(ledger).list():
            entry = profile_json(profile)
            measured = figures.get(profile.name.lower())
            entry["figures"] = measured.__dict__ if measured is not None else None
            result.append(entry)
        return result

    return _guard(run)


def get_profile(name: str, ledger: Ledger = Depends(route_ledger)) -> dict[str, Any]:
    return _guard(lambda: profile_json(ProfileStore(ledger).get(name)))


def create_profile(body: dict[str, Any] = Body(...), ledger: Ledger = Depends(route_ledger),
                   host: HostServices = Depends(route_host)) -> JSONResponse:
    created = _guard(lambda: ProfileStore(ledger).create(_profile_from_body(body), catalog=host.catalog()))
    return JSONResponse(profile_json(created), status_code=201)


def update_profile(name: str, body: dict[str, Any] = Body(...), ledger: Ledger = Depends(route_ledger),
                   host: HostServices = Depends(route_host)) -> dict[str, Any]:
    return _guard(lambda: profile_json(
        ProfileStore(ledger).update(name, _profile_from_body(body), catalog=host.catalog())))


def delete_profile(name: str, ledger: Ledger = Depends(route_ledger)) -> Response:
    _guard(lambda: ProfileStore(ledger).delete(name))
    return Response(status_code=204)


def guide_route(name: str, body: dict[str, Any] = Body(...),
                ledger: Ledger = Depends(route_ledger)) -> dict[str, Any]:
    """Body: {"approved": bool, "locked": bool} (either or both). Only users allowed to change locked profiles."""
    flags = {key: body.get(key) for key in ("approved", "locked")} if isinstance(body, dict) else {}
    if set(body if isinstance(body, dict) else ()) - {"approved", "locked"} or not any(
            isinstance(value, bool) for value in flags.values()):
        raise HTTPException(status_code=422,
                            detail='ParamLab: send {"approved": true|false} and/or {"locked": true|false}.')
    return _guard(lambda: profile_json(ProfileStore(ledger).set_guide(
        name, **{key: value for key, value in flags.items() if isinstance(value, bool)})))


def history_route(name: str, ledger: Ledger = Depends(route_ledger)) -> list[dict[str, Any]]:
    return _guard(lambda: [dict(version, changed_at=version["changed_at"].isoformat())
                           for version in ProfileStore(ledger).history(name)])


def export_route(name: list[str] | None = Query(default=None),
                 ledger: Ledger = Depends(route_ledger)) -> Response:
    def run() -> str:
        store = ProfileStore(ledger)
        profiles = [store.get(each) for each in name] if name else store.list()
        return export_profiles(profiles)

    return Response(content=_guard(run), media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="paramlab-profiles.json"'})


def import_route(body: dict[str, Any] = Body(...), ledger: Ledger = Depends(route_ledger),
                 host: HostServices = Depends(route_host)) -> JSONResponse:
    """Body: {"content": <the file's JSON, as text or object>, "on_conflict": "skip"|"rename"|"replace",
    "keep_unknown": false}. All or nothing: 200 with the report, or 422 with it and nothing changed."""
    import json

    content = body.get("content") if isinstance(body, dict) else None
    if content is None:
        raise HTTPException(status_code=422, detail="ParamLab: the body needs 'content' (the profiles file).")
    text = content if isinstance(content, str) else json.dumps(content)
    report = _guard(lambda: import_profiles(
        ProfileStore(ledger), text, on_conflict=body.get("on_conflict"),
        keep_unknown=bool(body.get("keep_unknown", False)), catalog=host.catalog()))
    payload = {"ok": report.ok, "summary": report.summary(),
               "entries": [entry.__dict__ for entry in report.entries]}
    return JSONResponse(payload, status_code=200 if report.ok else 422)
