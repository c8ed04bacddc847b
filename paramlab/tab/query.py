"""The ledger view's reads: filters, one table page, one image's detail, the dropdown choices.

Everything goes through SQLAlchemy Core so SQLite and PostgreSQL ledgers behave alike. The table page
and its total must stay fast at a million rows, so every filter maps to an indexed column where one
exists, the count never joins ``runs``, and the prompt search uses the full-text index (FTS5 on
SQLite, the GIN expression index on PostgreSQL) with the user's words reduced to plain tokens, so no
input can be a full-text syntax error.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from paramlab.analysis.matrix_load import cell_place
from paramlab.ledger import Ledger, schema
from paramlab.ledger.dialect import fts5_query, like_escape, prompt_search_clause
from paramlab.ledger.records import as_utc
from paramlab.ledger.thumbnails import ids_with_thumbnails
from paramlab.seeds.fingerprint import load_fingerprint
from paramlab.tab.files import locate_recorded

images, runs, metrics_table = schema.images, schema.runs, schema.image_metrics

SORTS: dict[str, tuple[str, ...]] = {
    "newest": ("created_at desc", "id desc"),
    "oldest": ("created_at asc", "id asc"),
    "rating": ("rating desc", "created_at desc", "id desc"),
    "cost": ("cost_seconds desc", "id desc"),
    "cheapest": ("cost_seconds asc", "id desc"),
}
PAGE_SIZE_MAX = 500
OPTION_LIMIT = 1000  # distinct values per dropdown; a ledger with more is not a sensible dropdown anyway


@dataclass
class LedgerFilter:
    """What the user narrowed the ledger to; None (or "") means "any". Times are UTC, ``created_to`` exclusive."""

    created_from: datetime | None = None
    created_to: datetime | None = None
    model: str | None = None  # name or hash
    profile: str | None = None
    series: str | None = None
    sampler: str | None = None
    scheduler: str | None = None
    steps_min: int | None = None
    steps_max: int | None = None
    cfg_min: float | None = None
    cfg_max: float | None = None
    rating_min: int | None = None  # 1–5: at least this; 0: unrated only
    flaw: str | None = None  # a code from paramlab.quality.flaws.FLAW_CODES
    text: str | None = None  # words that must all appear in the prompt (prefix match)
    status: str | None = None  # image status; None: all


@dataclass
class PageResult:
    rows: list[dict[str, Any]]
    total: int
    page: int
    page_size: int
    pages: int


# -- filters --------------------------------------------------------------------------------------


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def search_tokens(text: str) -> list[str]:
    """Letters and digits only: the words FTS5 (unicode61) and PostgreSQL's 'simple' parser index."""
    return re.findall(r"[^\W_]+", text)


def _text_clause(text: str, dialect: str) -> sa.ColumnElement[bool]:
    tokens = search_tokens(text)
    words = text.split()
    substring = sa.and_(*(images.c.prompt.ilike(f"%{like_escape(w)}%", escape="\\") for w in words))
    if not tokens:  # only punctuation ("*", '"'): nothing an index knows, so a plain substring search
        return substring
    indexed = prompt_search_clause(images, tokens, dialect)
    return substring if indexed is None else indexed


def where_clause(filt: LedgerFilter, dialect: str = "sqlite") -> list[sa.ColumnElement[bool]]:
    """The filter as conditions on ``images`` alone (so the count needs no join)."""
    clauses: list[sa.ColumnElement[bool]] = []
    if filt.created_from is not None:
        clauses.append(images.c.created_at >= as_utc(filt.created_from))
    if filt.created_to is not None:
        clauses.append(images.c.created_at < as_utc(filt.created_to))
    if _given(filt.model):
        model = filt.model.strip()
        clauses.append(sa.or_(images.c.model_name == model, images.c.model_hash == model))
    for name in ("profile", "series", "sampler", "scheduler", "status"):
        value = getattr(filt, name)
        if _given(value):
            clauses.append(images.c[name] == value)
    if filt.steps_min is not None:
        clauses.append(images.c.steps >= filt.steps_min)
    if filt.steps_max is not None:
        clauses.append(images.c.steps <= filt.steps_max)
    if filt.cfg_min is not None:
        clauses.append(images.c.cfg_scale >= filt.cfg_min)
    if filt.cfg_max is not None:
        clauses.append(images.c.cfg_scale <= filt.cfg_max)
    if filt.rating_min is not None:
        rating = int(filt.rating_min)
        clauses.append(images.c.rating.is_(None) if rating <= 0 else images.c.rating >= rating)
    if _given(filt.flaw):
        code = json.dumps(filt.flaw.strip())  # stored as JSON: {"code": "cfg_burn", ...}
        clauses.append(images.c.flaws.like(f"%{like_escape(code)}%", escape="\\"))
    if _given(filt.text):
        clauses.append(_text_clause(filt.text.strip(), dialect))
    return clauses


# -- the table page -------------------------------------------------------------------------------


def _order_by(sort: str) -> list[sa.ColumnElement[Any]]:
    terms = []
    for term in SORTS.get(sort, SORTS["newest"]):
        name, direction = term.split()
        column = images.c[name]
        ordered = column.desc() if direction == "desc" else column.asc()
        terms.append(ordered.nulls_last() if name in ("rating", "cost_seconds") else ordered)
    return terms


def page_statements(ledger: Ledger, filt: LedgerFilter, page: int = 1, page_size: int = 50,
                    sort: str = "newest") -> tuple[sa.Select, sa.Select]:
    """The page query (joined with runs) and the count query (images only) for ``filt``."""
    clauses = where_clause(filt, ledger.engine.dialect.name)
    page_size = max(1, min(int(page_size), PAGE_SIZE_MAX))
    rows = (
        ledger.image_query().where(*clauses).order_by(*_order_by(sort))
        .limit(page_size).offset((max(1, int(page)) - 1) * page_size)
    )
    count = sa.select(sa.func.count()).select_from(images).where(*clauses)
    return rows, count


def query_page(ledger: Ledger, filt: LedgerFilter, page: int = 1, page_size: int = 50,
               sort: str = "newest") -> PageResult:
    """One page of matching rows, newest first by default, with the total and the page count."""
    page_size = max(1, min(int(page_size), PAGE_SIZE_MAX))
    with ledger.engine.connect() as conn:
        _, count = page_statements(ledger, filt, 1, page_size, sort)
        total = int(conn.execute(count).scalar_one())
        pages = max(1, math.ceil(total / page_size))
        page = min(max(1, int(page)), pages)
        statement, _ = page_statements(ledger, filt, page, page_size, sort)
        rows = [dict(row._mapping) for row in conn.execute(statement)] if total else []
        stored = ids_with_thumbnails(conn, [row["id"] for row in rows])
    for row in rows:
        row["has_thumbnail"] = row["id"] in stored
    return PageResult(rows=rows, total=total, page=page, page_size=page_size, pages=pages)


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


def image_detail(ledger: Ledger, image_id: int) -> dict[str, Any] | None:
    """Everything the detail panel shows: the row, its quality figures, flaws, fingerprint and cost."""
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
    with ledger.engine.connect() as conn:
        found = conn.execute(statement).first()
        if found is None:
            return None
        detail = dict(found._mapping)
        detail["metrics"] = {
            m.metric: (m.value, m.not_measured) for m in conn.execute(metric_rows)
        }
        detail["has_thumbnail"] = bool(ids_with_thumbnails(conn, [image_id]))
    if detail.get("image_path"):  # a shared ledger: the file may be on another machine
        detail["file_note"] = locate_recorded(ledger, image_id, "image").note
    detail["flaws"] = parse_flaws(detail.get("flaws"))
    detail["fingerprint"] = load_fingerprint(detail.get("fingerprint"))
    detail["cost"] = _cost(detail)
    detail["xyz_job"] = detail.get("job_id") if cell_place(detail.pop("run_settings", None)) else None
    return detail


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


def filter_options(ledger: Ledger) -> dict[str, list[str]]:
    """The values each dropdown offers: models (by name), profiles, series, samplers, schedule types, flaw codes."""
    from paramlab.quality.flaws import FLAW_CODES  # torch comes with it; only load when the view is used

    with ledger.engine.connect() as conn:
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
            "flaws": list(FLAW_CODES),
        }


__all__ = [
    "LedgerFilter", "PageResult", "SORTS", "filter_options", "fts5_query", "image_detail", "page_statements",
    "query_page", "search_tokens", "where_clause",
]
