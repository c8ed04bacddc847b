"""``/paramlab/v1/series`` (character series) and ``/paramlab/v1/images/{id}/reproduce``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Body, FastAPI, HTTPException
from fastapi.responses import JSONResponse, Response

from paramlab.ledger import LedgerError
from paramlab.seeds import Series, SeriesError, SeriesNotFound
from paramlab.webui import runtime

SERIES_FIELDS = {"name", "seed", "variation_seed", "variation_strength", "profile", "prompt_fragment", "notes"}


def series_json(series: Series) -> dict[str, Any]:
    return {name: getattr(series, name) for name in sorted(SERIES_FIELDS)}


def _guard(action: Callable[[], Any]) -> Any:
    from paramlab.webui.reproduce import ReproduceError

    try:
        return action()
    except SeriesNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except (SeriesError, ReproduceError, ValueError) as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    except LedgerError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc


def _series_from_body(body: Any) -> Series:
    if not isinstance(body, dict):
        raise SeriesError("ParamLab: the body must be a JSON object.")
    if "from_image" in body:
        row = _image_row(body["from_image"])
        return runtime.series_store().from_image_row(row, body.get("name", ""))
    unknown = sorted(set(body) - SERIES_FIELDS)
    if unknown:
        raise SeriesError(f"ParamLab: unknown field(s) {unknown}; allowed: {sorted(SERIES_FIELDS)} or from_image.")
    return Series(**body)


def _image_row(image_id: Any) -> dict[str, Any]:
    from paramlab.webui.reproduce import load_row

    if not isinstance(image_id, int) or isinstance(image_id, bool):
        raise SeriesError("ParamLab: from_image must be an image id (an integer).")
    return load_row(image_id)


def list_series() -> list[dict[str, Any]]:
    return _guard(lambda: [series_json(series) for series in runtime.series_store().list()])


def get_series(name: str) -> dict[str, Any]:
    return _guard(lambda: series_json(runtime.series_store().get(name)))


def create_series(body: dict[str, Any] = Body(...)) -> JSONResponse:  # noqa: B008 - FastAPI idiom
    created = _guard(lambda: runtime.series_store().create(_series_from_body(body)))
    return JSONResponse(series_json(created), status_code=201)


def update_series(name: str, body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    return _guard(lambda: series_json(runtime.series_store().update(name, _series_from_body(body))))


def delete_series(name: str) -> Response:
    _guard(lambda: runtime.series_store().delete(name))
    return Response(status_code=204)


def reproduce_image(image_id: int) -> dict[str, Any]:
    """Runs a generation (under A1111's queue lock) and compares it with the recorded image."""
    from paramlab.webui.reproduce import reproduce

    return _guard(lambda: reproduce(image_id).to_json())


def register(app: FastAPI, prefix: str, dependencies: list[Any]) -> None:
    routes = [
        ("/series", list_series, ["GET"]),
        ("/series", create_series, ["POST"]),
        ("/series/{name}", get_series, ["GET"]),
        ("/series/{name}", update_series, ["PUT"]),
        ("/series/{name}", delete_series, ["DELETE"]),
        ("/images/{image_id}/reproduce", reproduce_image, ["POST"]),
    ]
    for path, endpoint, methods in routes:
        app.add_api_route(prefix + path, endpoint, methods=methods, dependencies=dependencies, tags=["ParamLab"])
