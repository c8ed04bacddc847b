"""``/paramlab/v1/jobs``: jobs newest first (``?status=failed`` for one status), and one job (by id or uid)
with its runs, images and history.

A generation's API answer names its job and image uids (``info`` → ``extra_generation_params`` →
``ParamLab``); this route turns them into ledger rows, files and costs.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, HTTPException, Query
from fastapi.responses import Response

from paramlab.ledger import Ledger, LedgerError
from paramlab.ledger.reads.jobs import JobNotFound, UnknownStatus, job_detail, list_jobs
from paramlab.web.route_services import route_ledger


def _json_response(value: Any) -> Response:
    return Response(content=json.dumps(value, default=_default, ensure_ascii=False), media_type="application/json")


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def jobs_route(limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0),
               status: str | None = Query(None, max_length=16), ledger: Ledger = Depends(route_ledger)) -> Response:
    try:
        rows, total = list_jobs(ledger, limit, offset, status=status or None)
    except UnknownStatus as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    except LedgerError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc
    return _json_response({"total": total, "jobs": rows})


def job_route(key: str, ledger: Ledger = Depends(route_ledger)) -> Response:
    """``key``: the job's id or its uid (as the API answer names it)."""
    if len(key) > 64:
        raise HTTPException(status_code=422, detail="ParamLab: a job is named by its id or its uid (36 characters).")
    try:
        return _json_response(job_detail(ledger, key))
    except JobNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except LedgerError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from exc
