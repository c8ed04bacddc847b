"""``GET /paramlab/v1/images``: one page of the ledger's images, narrowed by the ledger's one filter; and
``GET /paramlab/v1/images/{image_id}``: one image with what its replay needs (verdict, inputs, other extensions).

The query string is read by :meth:`~paramlab.ledger.filters.ImageFilter.from_params`, the parser behind the
CLI's export flags too, so ``?sampler=Euler a&steps_min=20&order=oldest`` selects the same images as
``paramlab export --sampler "Euler a" --steps-min 20`` and the tab's ledger view with those filters. A filter
that cannot be read is a 400 naming the parameter; a ledger that cannot answer is a 503.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request

from paramlab.ledger import Ledger, LedgerError
from paramlab.ledger.exporter import iso_utc
from paramlab.ledger.filters import FILTER_PARAMS, FilterError, ImageFilter
from paramlab.ledger.reads.images import PageResult, image_page, image_record
from paramlab.ledger.reads.inputs import image_replay_detail
from paramlab.web.input_files import INPUT_URL
from paramlab.web.route_services import ledger_failure, route_ledger

IMAGE_FIELDS = (
    "id", "image_uid", "run_id", "created_at", "status", "prompt", "negative_prompt", "model_name", "model_hash",
    "sampler", "scheduler", "steps", "cfg_scale", "seed", "width", "height", "profile", "series", "rating",
    "cost_seconds", "has_thumbnail",
)


def _json_value(value: Any) -> Any:
    return iso_utc(value) if isinstance(value, datetime) else value


def page_json(result: PageResult) -> dict[str, Any]:
    """The page as the route answers it: totals, then one object per image with :data:`IMAGE_FIELDS`."""
    return {
        "total": result.total, "page": result.page, "pages": result.pages, "page_size": result.page_size,
        "images": [{name: _json_value(row.get(name)) for name in IMAGE_FIELDS} for row in result.rows],
    }


def _query_filter(request: Request) -> ImageFilter:
    params = request.query_params
    try:
        return ImageFilter.from_params({name: params.getlist(name) for name in params})
    except FilterError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc


QUERY_DOCS = [  # the route reads the query string itself; these make the parameters show in /docs
    {"name": param.name, "in": "query", "required": False, "description": param.help,
     "schema": {"type": "array", "items": {"type": "string"}} if param.several else {"type": "string"}}
    for param in FILTER_PARAMS
]


def list_images(request: Request, ledger: Ledger = Depends(route_ledger)) -> dict[str, Any]:
    """One page of images matching the filter in the query string (newest first unless ``order`` says)."""
    filt = _query_filter(request)
    try:
        return page_json(image_page(ledger, filt))
    except LedgerError as exc:
        raise ledger_failure(exc) from exc


def image_json(record: dict[str, Any], replay: dict[str, Any]) -> dict[str, Any]:
    """One image as the route answers it: :data:`IMAGE_FIELDS`, its run's tab and replay verdict, its inputs (each
    with ``url`` when its bytes are kept) and the other extensions' settings."""
    inputs = [{**item.to_json(), "url": INPUT_URL.format(sha256=item.sha256) if item.stored else None}
              for item in replay["inputs"]]
    return {
        **{name: _json_value(record.get(name)) for name in IMAGE_FIELDS}, "tab": record.get("tab"),
        "replay_verdict": replay["replay_verdict"], "replay_reason": replay["replay_reason"], "inputs": inputs,
        "extension_values": [{"script": script, "name": name, "value": value}
                             for script, name, value in replay["extension_values"]],
    }


def get_image(image_id: int, ledger: Ledger = Depends(route_ledger)) -> dict[str, Any]:
    """One image with its replay verdict, inputs and other extensions' settings; 404 when there is none."""
    try:
        record = image_record(ledger, image_id)
        replay = image_replay_detail(ledger, image_id) if record is not None else None
    except LedgerError as exc:
        raise ledger_failure(exc) from exc
    if record is None or replay is None:
        raise HTTPException(status_code=404, detail=f"ParamLab: there is no image {image_id} in the ledger.")
    return image_json(record, replay)


def register_image_routes(app: FastAPI, prefix: str, dependencies: Sequence[Any]) -> None:
    """Add ``GET <prefix>/images`` behind ``dependencies`` (the server's access rule: a route that reads still
    needs a logged-in user when the server has logins). Its own call, not a row of the route table, because
    the query string is read by the filter model and documented from it."""
    app.add_api_route(f"{prefix}/images", list_images, methods=["GET"], dependencies=list(dependencies),
                      tags=["ParamLab"], openapi_extra={"parameters": QUERY_DOCS})
    app.add_api_route(f"{prefix}/images/{{image_id}}", get_image, methods=["GET"], dependencies=list(dependencies),
                      tags=["ParamLab"])


__all__ = ["IMAGE_FIELDS", "get_image", "image_json", "list_images", "page_json", "register_image_routes"]
