"""The canary's writes, each its own small transaction: pins (who pinned, why), and a report written as it
goes — started, one result per image the moment it is known, then finished or interrupted — so a crash or a
Ctrl-C loses at most the image being rendered. Refused for a viewer; database failures arrive as
:class:`~paramlab.ledger.LedgerError` with nothing changed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from paramlab.ledger import schema
from paramlab.ledger.reads.canary import GOOD_OUTCOMES, CanaryResult, pins, reports, results
from paramlab.ledger.records import utc_now
from paramlab.ledger.store import Ledger


class UnknownImages(ValueError):
    """Some ids name no image in the ledger; nothing was pinned."""


def pin_images(ledger: Ledger, image_ids: Iterable[int], pinned_by: str | None, note: str | None = None
               ) -> list[int]:
    """Pin the images (all or none); the ids newly pinned. Pinning again keeps the first pin's time and
    person, and replaces the note when one is given."""
    wanted = list(dict.fromkeys(int(image_id) for image_id in image_ids))
    with ledger.transaction("pin the canary images") as conn:
        found = set(conn.execute(sa.select(schema.images.c.id).where(schema.images.c.id.in_(wanted))).scalars())
        missing = [image_id for image_id in wanted if image_id not in found]
        if missing:
            raise UnknownImages(f"ParamLab: there is no image {', '.join(map(str, missing))} in the ledger; "
                                "nothing was pinned.")
        already = set(conn.execute(sa.select(pins.c.image_id).where(pins.c.image_id.in_(wanted))).scalars())
        new = [image_id for image_id in wanted if image_id not in already]
        now = utc_now()
        for image_id in new:
            conn.execute(pins.insert().values(image_id=image_id, pinned_at=now, pinned_by=pinned_by, note=note))
        if note is not None and already:
            conn.execute(pins.update().where(pins.c.image_id.in_(already)).values(note=note))
    return new


def unpin_images(ledger: Ledger, image_ids: Iterable[int]) -> list[int]:
    """Unpin the images; the ids that were pinned (the others are left alone, not an error)."""
    wanted = [int(image_id) for image_id in image_ids]
    with ledger.transaction("unpin the canary images") as conn:
        pinned = list(conn.execute(sa.select(pins.c.image_id).where(pins.c.image_id.in_(wanted))).scalars())
        conn.execute(pins.delete().where(pins.c.image_id.in_(pinned)))
    return sorted(pinned)


def start_report(ledger: Ledger, image_ids: list[int], webui_url: str | None, ssim_tolerance: float) -> int:
    """A new report, status "running", covering ``image_ids`` in this order; its id."""
    with ledger.transaction("start a canary report") as conn:
        return conn.execute(reports.insert().values(
            report_uid=str(uuid.uuid4()), started_at=utc_now(), status="running", webui_url=webui_url,
            ssim_tolerance=ssim_tolerance, total=len(image_ids), drifted=0,
            summary=json.dumps({"image_ids": list(image_ids)}))).inserted_primary_key[0]


def resume_report(ledger: Ledger, report_id: int, webui_url: str | None) -> None:
    """Mark an unfinished report running again (the WebUI it now talks to may have moved)."""
    with ledger.transaction("resume the canary report") as conn:
        conn.execute(reports.update().where(reports.c.id == report_id)
                     .values(status="running", webui_url=webui_url, finished_at=None))


def record_result(ledger: Ledger, report_id: int, result: CanaryResult) -> None:
    """Store one image's result the moment it is known (a crash after this keeps it: a rerun skips it)."""
    values: dict[str, Any] = {key: getattr(result, key) for key in (
        "position", "image_id", "image_uid", "outcome", "ssim", "mean_abs_diff", "max_abs_diff",
        "changed_pixel_share", "seconds", "recorded_seconds", "message")}
    values["fingerprint_changes"] = json.dumps(result.fingerprint_changes, ensure_ascii=False, default=str)
    result.finished_at = result.finished_at or utc_now()
    with ledger.transaction("record a canary result") as conn:
        conn.execute(results.insert().values(report_id=report_id, finished_at=result.finished_at, **values))
        drifted = conn.execute(sa.select(sa.func.count()).select_from(results).where(
            results.c.report_id == report_id, results.c.outcome.not_in(GOOD_OUTCOMES))
        ).scalar_one()
        conn.execute(reports.update().where(reports.c.id == report_id).values(drifted=drifted))


def close_report(ledger: Ledger, report_id: int, status: str, summary: dict[str, Any]) -> None:
    """Finish ("finished") or interrupt ("interrupted") a report; ``summary`` is merged into the stored one."""
    if status not in ("finished", "interrupted"):
        raise ValueError(f"a report closes as finished or interrupted, not {status!r}")
    with ledger.transaction(f"mark the canary report {status}") as conn:
        stored = conn.execute(sa.select(reports.c.summary).where(reports.c.id == report_id)).scalar_one()
        merged = {**json.loads(stored or "{}"), **summary}
        conn.execute(reports.update().where(reports.c.id == report_id).values(
            status=status, finished_at=utc_now() if status == "finished" else None,
            summary=json.dumps(merged, ensure_ascii=False, default=str)))


__all__ = ["UnknownImages", "close_report", "pin_images", "record_result", "resume_report", "start_report",
           "unpin_images"]
