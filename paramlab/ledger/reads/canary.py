"""The canary as the ledger holds it: the pinned images (with their rows), and the reports of every run of it
(kept forever: the history). A report remembers which images it covers, so a rerun after an interrupt or a
crash resumes it without rendering a finished image again. Database failures arrive as
:class:`~paramlab.ledger.LedgerError`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from paramlab.ledger import schema
from paramlab.ledger.records import plain_row
from paramlab.ledger.store import Ledger

pins, reports, results = schema.canary_pins, schema.canary_reports, schema.canary_results

GOOD_OUTCOMES = ("identical", "within_tolerance")  # every other outcome is drift: the canary exits 1
UNFINISHED = ("running", "interrupted")  # "running" after a crash too: nothing marked it interrupted


@dataclass(frozen=True)
class PinnedImage:
    """A canary image: when and by whom it was pinned, why, and its ledger row (:meth:`Ledger.image_query`)."""

    image_id: int
    pinned_at: datetime
    pinned_by: str | None
    note: str | None
    image: dict[str, Any]


@dataclass
class CanaryResult:
    """One image's check in a report. ``outcome``: identical, within_tolerance, different, failed, refused.
    ``fingerprint_changes``: ``{field, label, recorded, now, cause}`` — a cause was recorded on both sides."""

    position: int
    image_id: int | None
    image_uid: str
    outcome: str
    ssim: float | None = None
    mean_abs_diff: float | None = None
    max_abs_diff: float | None = None
    changed_pixel_share: float | None = None
    seconds: float | None = None
    recorded_seconds: float | None = None
    fingerprint_changes: list[dict[str, Any]] = field(default_factory=list)
    message: str | None = None
    finished_at: datetime | None = None

    @property
    def drifted(self) -> bool:
        return self.outcome not in GOOD_OUTCOMES


@dataclass
class CanaryReport:
    """One run of the canary; ``summary`` holds ``image_ids`` (its order) and, once done, its totals."""

    id: int
    report_uid: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    webui_url: str | None
    ssim_tolerance: float | None
    total: int
    drifted: int
    summary: dict[str, Any]
    results: list[CanaryResult] = field(default_factory=list)

    @property
    def image_ids(self) -> list[int]:
        return [int(image_id) for image_id in self.summary.get("image_ids", [])]

    def finished_positions(self) -> set[int]:
        return {result.position for result in self.results}


def pinned_images(ledger: Ledger) -> list[PinnedImage]:
    """Every pinned image, in the order they were pinned (the canary renders them in this order)."""
    query = (ledger.image_query().add_columns(pins.c.pinned_at, pins.c.pinned_by, pins.c.note.label("pin_note"))
             .join(pins, pins.c.image_id == schema.images.c.id).order_by(pins.c.pinned_at, pins.c.image_id))
    with ledger.read("read the canary's pinned images") as conn:
        rows = [plain_row(row._mapping) for row in conn.execute(query)]
    return [PinnedImage(row["id"], row.pop("pinned_at"), row.pop("pinned_by"), row.pop("pin_note"), row)
            for row in rows]


def pinned_ids(ledger: Ledger) -> set[int]:
    with ledger.read("read the canary's pins") as conn:
        return set(conn.execute(sa.select(pins.c.image_id)).scalars())


def _report(row: Any) -> CanaryReport:
    data = plain_row(row._mapping)
    summary = json.loads(data.pop("summary") or "{}")
    return CanaryReport(**data, summary=summary if isinstance(summary, dict) else {})


def _result(row: Any) -> CanaryResult:
    data = plain_row(row._mapping)
    data.pop("report_id")
    data["fingerprint_changes"] = json.loads(data["fingerprint_changes"] or "[]")
    return CanaryResult(**data)


def _with_results(conn: sa.Connection, report: CanaryReport) -> CanaryReport:
    query = sa.select(results).where(results.c.report_id == report.id).order_by(results.c.position)
    report.results = [_result(row) for row in conn.execute(query)]
    return report


def report_by_id(ledger: Ledger, report_id: int) -> CanaryReport | None:
    """A report with its results, or None."""
    with ledger.read(f"read canary report {report_id}") as conn:
        row = conn.execute(sa.select(reports).where(reports.c.id == report_id)).first()
        return _with_results(conn, _report(row)) if row is not None else None


def latest_report(ledger: Ledger) -> CanaryReport | None:
    """The newest report (finished or not) with its results: what the tab shows."""
    with ledger.read("read the latest canary report") as conn:
        row = conn.execute(sa.select(reports).order_by(reports.c.id.desc()).limit(1)).first()
        return _with_results(conn, _report(row)) if row is not None else None


def report_history(ledger: Ledger, last: int | None = None) -> list[CanaryReport]:
    """Reports newest first (``last`` of them), without their results: the history list."""
    query = sa.select(reports).order_by(reports.c.id.desc())
    if last is not None:
        query = query.limit(last)
    with ledger.read("read the canary's history") as conn:
        return [_report(row) for row in conn.execute(query)]


def unfinished_report(ledger: Ledger) -> CanaryReport | None:
    """The newest report, with its results, when it was interrupted (or its process died): a rerun resumes it."""
    report = latest_report(ledger)
    return report if report is not None and report.status in UNFINISHED else None


__all__ = ["GOOD_OUTCOMES", "UNFINISHED", "CanaryReport", "CanaryResult", "PinnedImage", "latest_report",
           "pinned_ids", "pinned_images", "report_by_id", "report_history", "unfinished_report"]
