"""``/paramlab/v1/canary/...``: the canary set (list, pin, unpin: writes need the same right as any other
write) and its reports (the latest with every image's outcome and changed fields, and the history).
Running the canary is the command line's job (``python -m paramlab canary run``): it talks to a WebUI."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from fastapi import Body, Depends, HTTPException, Query

from paramlab.ledger import Ledger, LedgerError
from paramlab.ledger.actor import current
from paramlab.ledger.edits import canary as edits
from paramlab.ledger.exporter import iso_utc
from paramlab.ledger.reads import canary as reads
from paramlab.web.route_services import Route, ledger_failure, route_ledger

PIN_FIELDS = ("id", "tab", "prompt", "seed", "width", "height", "model_name", "created_at", "cost_seconds")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def report_json(report: reads.CanaryReport, with_results: bool = True) -> dict[str, Any]:
    data = _plain(dataclasses.asdict(report))
    if not with_results:
        data.pop("results")
    return data


def list_pins(ledger: Ledger = Depends(route_ledger)) -> list[dict[str, Any]]:
    """The pinned images: who pinned them, why, and a few of their settings."""
    try:
        pins = reads.pinned_images(ledger)
    except LedgerError as exc:
        raise ledger_failure(exc) from exc
    return [_plain({"image_id": pin.image_id, "pinned_at": pin.pinned_at, "pinned_by": pin.pinned_by,
                    "note": pin.note, "image": {name: pin.image.get(name) for name in PIN_FIELDS}}) for pin in pins]


def pin(body: dict[str, Any] = Body(...), ledger: Ledger = Depends(route_ledger)) -> dict[str, Any]:
    """Body: {"image_ids": [12, 14], "note": "why"}; pinned as the logged-in user."""
    ids = body.get("image_ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise HTTPException(status_code=422, detail='ParamLab: the body is {"image_ids": [id, …], "note": "…"}.')
    note = body.get("note")
    try:
        new = edits.pin_images(ledger, ids, current().name, note if isinstance(note, str) and note else None)
    except edits.UnknownImages as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except LedgerError as exc:
        raise ledger_failure(exc) from exc
    return {"pinned": new, "already_pinned": [image_id for image_id in ids if image_id not in new]}


def unpin(image_id: int, ledger: Ledger = Depends(route_ledger)) -> dict[str, Any]:
    try:
        gone = edits.unpin_images(ledger, [image_id])
    except LedgerError as exc:
        raise ledger_failure(exc) from exc
    return {"unpinned": gone}


def latest(ledger: Ledger = Depends(route_ledger)) -> dict[str, Any]:
    """The newest report with each image's outcome, figures and changed fingerprint fields."""
    try:
        report = reads.latest_report(ledger)
    except LedgerError as exc:
        raise ledger_failure(exc) from exc
    if report is None:
        raise HTTPException(status_code=404, detail="ParamLab: the canary has not run yet.")
    return report_json(report)


def history(last: int | None = Query(None, ge=1), ledger: Ledger = Depends(route_ledger)) -> list[dict[str, Any]]:
    """Every report, newest first (``last``: only that many), without per-image results."""
    try:
        return [report_json(report, with_results=False) for report in reads.report_history(ledger, last)]
    except LedgerError as exc:
        raise ledger_failure(exc) from exc


CANARY_ROUTES: list[Route] = [
    ("/canary/pins", list_pins, ["GET"]),
    ("/canary/pins", pin, ["POST"]),
    ("/canary/pins/{image_id}", unpin, ["DELETE"]),
    ("/canary/reports/latest", latest, ["GET"]),
    ("/canary/reports", history, ["GET"]),
]

__all__ = ["CANARY_ROUTES", "report_json"]
