"""Reads of the ledger's images: one filtered page and its total, the matching ids, one image's detail and the
values the filter dropdowns offer.

The page and its total must stay fast at a million rows: every filter maps to an indexed column where one exists
(:mod:`paramlab.ledger.filters`), the count never joins ``runs``, and the dropdowns hop along indexes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from paramlab.ledger import Ledger, schema
from paramlab.ledger.filters import ImageFilter, order_by, where_clause
from paramlab.ledger.thumbnails import ids_with_thumbnails

images, runs, metrics_table = schema.images, schema.runs, schema.image_metrics
OPTION_LIMIT = 1000  # distinct values per dropdown; a ledger with more is not a sensible dropdown anyway


@dataclass
class PageResult:
    """One page of image rows (each with its run's columns and ``has_thumbnail``), and the honest totals."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    page_size: int
    pages: int


def page_statements(ledger: Ledger, filt: ImageFilter) -> tuple[sa.Select, sa.Select]:
    """The page query (joined with runs) and the count query (images only) for ``filt`` (benchmarks show
    their plans)."""
    clauses = where_clause(filt, ledger.engine.dialect.name)
    page_size = filt.clamped_page_size()
    rows = (
        ledger.image_query().where(*clauses).order_by(*order_by(filt.order))
        .limit(page_size).offset((max(1, int(filt.page)) - 1) * page_size)
    )
    count = sa.select(sa.func.count()).select_from(images).where(*clauses)
    return rows, count


def image_page(ledger: Ledger, filt: ImageFilter) -> PageResult:
    """The filter's page of matching rows (a page past the end gives the last one), with the total."""
    page_size = filt.clamped_page_size()
    with ledger.read("read the ledger's images") as conn:
        _, count = page_statements(ledger, filt)
        total = int(conn.execute(count).scalar_one())
        pages = max(1, math.ceil(total / page_size))
        page = min(max(1, int(filt.page)), pages)
        statement, _ = page_statements(ledger, filt.with_page(page))
        rows = [dict(row._mapping) for row in conn.execute(statement)] if total else []
        stored = ids_with_thumbnails(conn, [row["id"] for row in rows])
    for row in rows:
        row["has_thumbnail"] = row["id"] in stored
    return PageResult(rows=rows, total=total, page=page, page_size=page_size, pages=pages)


def image_ids(ledger: Ledger, filt: ImageFilter) -> list[int]:
    """Every matching image id in the filter's order (its paging aside)."""
    clauses = where_clause(filt, ledger.engine.dialect.name)
    statement = sa.select(images.c.id).where(*clauses).order_by(*order_by(filt.order))
    with ledger.read("read the ledger's image ids") as conn:
        return [int(image_id) for (image_id,) in conn.execute(statement)]


# -- one image ------------------------------------------------------------------------------------


def parse_flaws(text: Any) -> list[dict[str, str]]:
    """The stored JSON list of {"code", "advice"}; anything else reads as no flaws."""
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        loaded = json.loads(text)
    except ValueError:
        return []
    if not isinstance(loaded, list):
        return []
    return [
        {"code": str(item.get("code", "")), "advice": str(item.get("advice", ""))}
        for item in loaded if isinstance(item, dict)
    ]


def _cost(row: dict[str, Any]) -> dict[str, Any]:
    wall, share = row.get("wall_seconds"), row.get("cost_seconds")
    return {
        "run_wall_seconds": wall,
        "first_pass_seconds": row.get("first_pass_seconds"),
        "hires_seconds": row.get("hires_seconds"),
        "vae_decode_seconds": row.get("vae_decode_seconds"),
        "peak_vram_bytes": row.get("peak_vram_bytes"),
        "peak_vram_method": row.get("peak_vram_method"),
        "run_image_count": row.get("run_image_count"),
        "cost_seconds": share,
        "cost_share": share / wall if share is not None and wall else None,
        "model_evaluations": row.get("model_evaluations"),
        "megapixel_steps": row.get("megapixel_steps"),
        "energy_joules": row.get("energy_joules"),
        "run_energy_joules": row.get("run_energy_joules"),
    }


def image_record(ledger: Ledger, image_id: Any) -> dict[str, Any] | None:
    """One image with its run, quality figures (``metrics``: name → (value, not_measured)), parsed ``flaws`` and
    ``cost``; the run's raw ``fingerprint`` and ``run_settings`` are left for the caller to read. None when
    there is no such image."""
    try:
        image_id = int(image_id)
    except (TypeError, ValueError):
        return None
    statement = ledger.image_query().add_columns(
        runs.c.fingerprint, runs.c.peak_vram_method, runs.c.device_name, runs.c.started_at,
        runs.c.finished_at, runs.c.image_count.label("run_image_count"),
        runs.c.energy_joules.label("run_energy_joules"), runs.c.model_name.label("run_model_name"),
        runs.c.job_id, runs.c.settings.label("run_settings"),
    ).where(images.c.id == image_id)
    metric_rows = sa.select(metrics_table).where(metrics_table.c.image_id == image_id).order_by(metrics_table.c.metric)
    with ledger.read(f"read image {image_id}") as conn:
        found = conn.execute(statement).first()
        if found is None:
            return None
        record = dict(found._mapping)
        record["metrics"] = {m.metric: (m.value, m.not_measured) for m in conn.execute(metric_rows)}
        record["has_thumbnail"] = bool(ids_with_thumbnails(conn, [image_id]))
    record["flaws"] = parse_flaws(record.get("flaws"))
    record["cost"] = _cost(record)
    return record


# -- dropdown choices -----------------------------------------------------------------------------


def _distinct(conn: sa.Connection, column: sa.Column[Any], *where: sa.ColumnElement[bool]) -> list[str]:
    """Distinct values by hopping along the column's index (one MIN per value): cheap at a million rows,
    where a plain DISTINCT would read the whole index."""
    found: list[str] = []
    current = conn.execute(sa.select(sa.func.min(column)).where(column.is_not(None), *where)).scalar()
    while current is not None and len(found) < OPTION_LIMIT:
        found.append(str(current))
        current = conn.execute(sa.select(sa.func.min(column)).where(column > current, *where)).scalar()
    return found


def filter_choices(ledger: Ledger) -> dict[str, list[str]]:
    """The values recorded for the dropdowns: models (by name), profiles, series, samplers, schedule types."""
    with ledger.read("read the filter choices") as conn:
        samplers = _distinct(conn, images.c.sampler)
        schedulers: set[str] = set()
        # ix_images_sampler is (sampler, scheduler): hop within each sampler, then the rows without one.
        for sampler in samplers:
            schedulers.update(_distinct(conn, images.c.scheduler, images.c.sampler == sampler))
        schedulers.update(_distinct(conn, images.c.scheduler, images.c.sampler.is_(None)))
        return {
            "models": _distinct(conn, images.c.model_name),
            "profiles": _distinct(conn, images.c.profile),
            "series": _distinct(conn, images.c.series),
            "samplers": samplers,
            "schedulers": sorted(schedulers),
        }


__all__ = ["PageResult", "filter_choices", "image_ids", "image_page", "image_record", "page_statements",
           "parse_flaws"]
