"""``/paramlab/v1/series`` (character series) and, where the host can generate,
``/paramlab/v1/images/{id}/reproduce``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Body, Depends, HTTPException
from fastapi.responses import JSONResponse, Response

from paramlab.ledger import Ledger, LedgerError
from paramlab.seeds import Series, SeriesError, SeriesNotFound, SeriesStore
from paramlab.web.route_services import HostServices, ledger_failure, route_host, route_ledger, status_for

SERIES_FIELDS = {"name", "seed", "variation_seed", "variation_strength", "profile", "prompt_fragment", "notes"}


def series_json(series: Series) -> dict[str, Any]:
    return {name: getattr(series, name) for name in sorted(SERIES_FIELDS)}


def _guard(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except SeriesNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except ValueError as exc:  # SeriesError, a reproduction that cannot run (409: the WebUI lacks a model), a bad field
        raise HTTPException(status_code=status_for(exc, getattr(exc, "http_status", 422)), detail=str(exc)) from exc
    except LedgerError as exc:
        raise ledger_failure(exc) from exc


def _series_from_body(body: Any, ledger: Ledger, host: HostServices) -> Series:
    if not isinstance(body, dict):
        raise SeriesError("ParamLab: the body must be a JSON object.")
    if "from_image" in body:
        row = _image_row(body["from_image"], host)
        return SeriesStore(ledger).from_image_row(row, body.get("name", ""))
    unknown = sorted(set(body) - SERIES_FIELDS)
    if unknown:
        raise SeriesError(f"ParamLab: unknown field(s) {unknown}; allowed: {sorted(SERIES_FIELDS)} or from_image.")
    return Series(**body)


def _image_row(image_id: Any, host: HostServices) -> dict[str, Any]:
    if not isinstance(image_id, int) or isinstance(image_id, bool):
        raise SeriesError("ParamLab: from_image must be an image id (an integer).")
    if host.image_row is None:
        raise SeriesError("ParamLab: from_image works in the WebUI only; name the seed and settings instead.")
    return host.image_row(image_id)


def list_series(ledger: Ledger = Depends(route_ledger)) -> list[dict[str, Any]]:
    return _guard(lambda: [series_json(series) for series in SeriesStore(ledger).list()])


def get_series(name: str, ledger: Ledger = Depends(route_ledger)) -> dict[str, Any]:
    return _guard(lambda: series_json(SeriesStore(ledger).get(name)))


def create_series(body: dict[str, Any] = Body(...), ledger: Ledger = Depends(route_ledger),
                  host: HostServices = Depends(route_host)) -> JSONResponse:
    created = _guard(lambda: SeriesStore(ledger).create(_series_from_body(body, ledger, host)))
    return JSONResponse(series_json(created), status_code=201)


def update_series(name: str, body: dict[str, Any] = Body(...), ledger: Ledger = Depends(route_ledger),
                  host: HostServices = Depends(route_host)) -> dict[str, Any]:
    return _guard(lambda: series_json(SeriesStore(ledger).update(name, _series_from_body(body, ledger, host))))


def delete_series(name: str, ledger: Ledger = Depends(route_ledger)) -> Response:
    _guard(lambda: SeriesStore(ledger).delete(name))
    return Response(status_code=204)


def reproduce_image(image_id: int, host: HostServices = Depends(route_host)) -> dict[str, Any]:
    """Runs a generation (under A1111's queue lock) and compares it with the recorded image."""
    return _guard(lambda: host.reproduce(image_id))  # registered only where the host can reproduce
