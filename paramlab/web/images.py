"""``GET /paramlab/v1/images``: one page of the ledger's images, narrowed by the ledger's one filter.

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
from paramlab.ledger.reads.images import PageResult, image_page
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


def register_image_routes(app: FastAPI, prefix: str, dependencies: Sequence[Any]) -> None:
    """Add ``GET <prefix>/images`` behind ``dependencies`` (the server's access rule: a route that reads still
    needs a logged-in user when the server has logins). Its own call, not a row of the route table, because
    the query string is read by the filter model and documented from it."""
    app.add_api_route(f"{prefix}/images", list_images, methods=["GET"], dependencies=list(dependencies),
                      tags=["ParamLab"], openapi_extra={"parameters": QUERY_DOCS})


__all__ = ["IMAGE_FIELDS", "list_images", "page_json", "register_image_routes"]
