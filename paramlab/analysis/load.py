"""Reading the ledger into the analysis frame (SQLAlchemy Core; SQLite and PostgreSQL alike).

Quality measures live in the long table ``image_metrics`` and ratings in ``images.rating``
(schema v5). Older ledgers lack both; their columns are then NaN rather than an error, so the
analysis can still say "not enough data".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from paramlab.analysis.frame import FRAME_COLUMNS, MEASURE_COLUMNS, RATING, SETTING_COLUMNS
from paramlab.ledger import schema
from paramlab.ledger.records import as_utc

FILTER_KEYS = ("model_hash", "sampler", "profile", "series", "created_from", "created_to", "status", "image_ids")
# Interrupted and skipped images have a partial cost and no finished picture: left out by default.
DEFAULT_STATUS = ("ok",)
METRICS_TABLE = "image_metrics"

IMAGE_COLUMNS = (
    "id", "model_hash", "model_name", "width", "height", *SETTING_COLUMNS, "profile", "seed", "prompt",
    "cost_seconds", "model_evaluations", "energy_joules",
)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


def filter_conditions(filters: dict[str, Any] | None) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses from the filter dict; unknown keys are refused so a typo never widens a query."""
    filters = dict(filters or {})
    unknown = sorted(set(filters) - set(FILTER_KEYS))
    if unknown:
        raise ValueError(f"unknown filter {', '.join(unknown)}: use {', '.join(FILTER_KEYS)}")
    images = schema.images
    status = filters.pop("status", DEFAULT_STATUS)
    where: list[sa.ColumnElement[bool]] = []
    if status is not None:
        where.append(images.c.status.in_(_as_list(status)))
    if filters.get("image_ids") is not None:  # an A/B test's images
        where.append(images.c.id.in_(_as_list(filters["image_ids"])))
    for key in ("model_hash", "sampler", "profile", "series"):
        if filters.get(key) is not None:
            where.append(images.c[key].in_(_as_list(filters[key])))
    for key, compare in (("created_from", images.c.created_at.__ge__), ("created_to", images.c.created_at.__lt__)):
        value = filters.get(key)
        if value is None:
            continue
        if not isinstance(value, datetime):
            raise ValueError(f"{key} must be a datetime")
        where.append(compare(as_utc(value)))
    return where


def fetch_rows(conn: sa.Connection, query: sa.Select, columns: Iterable[str]) -> pd.DataFrame:
    """Rows straight from the DBAPI cursor: SQLAlchemy binds the parameters, but building a ``Row``
    per result row would triple the load time of a 100k-image ledger. The frame's types are set
    afterwards in :func:`shape_frame`, so no result processing is lost."""
    result = conn.execute(query)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    return pd.DataFrame.from_records(rows, columns=list(columns), coerce_float=False)


def load_frame(ledger: Any, filters: dict[str, Any] | None = None, limit: int | None = None) -> pd.DataFrame:
    """One row per image, newest first when ``limit`` is given, with the columns of the analysis frame.

    Filters: ``model_hash``, ``sampler``, ``profile``, ``series`` (a value or a list of values),
    ``created_from`` (inclusive) and ``created_to`` (exclusive) as datetimes, and ``status``
    (default ``("ok",)``; ``None`` for every image).
    """
    images = schema.images
    where = filter_conditions(filters)
    with ledger.engine.connect() as conn:
        inspector = sa.inspect(conn)
        has_rating = any(column["name"] == RATING for column in inspector.get_columns(images.name))
        has_metrics = inspector.has_table(METRICS_TABLE)
        selected = [images.c[name] for name in IMAGE_COLUMNS]
        names = list(IMAGE_COLUMNS)
        if has_rating:
            selected.append(sa.column(RATING, sa.Float))
            names.append(RATING)
        query = sa.select(*selected).select_from(images).where(*where)
        newest = images.c.id.desc() if limit is not None else images.c.id
        query = query.order_by(newest).limit(limit)
        frame = fetch_rows(conn, query, names)
        metrics = load_metrics(conn, where, limit) if has_metrics and len(frame) else None
    return shape_frame(frame, metrics)


def load_metrics(conn: sa.Connection, where: list[sa.ColumnElement[bool]], limit: int | None) -> pd.DataFrame:
    """The long metric table for the selected images, pivoted to one column per metric.

    When a metric was computed more than once, the highest ``metric_version`` wins.
    """
    table = sa.Table(
        METRICS_TABLE, sa.MetaData(), sa.Column("image_id", sa.Integer), sa.Column("metric", sa.String),
        sa.Column("value", sa.Float), sa.Column("metric_version"),
    )
    images = schema.images
    ids = sa.select(images.c.id).where(*where)
    if limit is not None:
        ids = ids.order_by(images.c.id.desc()).limit(limit)
    query = sa.select(table.c.image_id, table.c.metric, table.c.value, table.c.metric_version).where(
        table.c.image_id.in_(ids)
    )
    long = fetch_rows(conn, query, ("image_id", "metric", "value", "metric_version"))
    if long.empty:
        return pd.DataFrame(index=pd.Index([], name="image_id"))
    long = long.sort_values(["image_id", "metric", "metric_version"], na_position="first", kind="stable")
    long = long.drop_duplicates(["image_id", "metric"], keep="last")
    return long.pivot(index="image_id", columns="metric", values="value")


def shape_frame(frame: pd.DataFrame, metrics: pd.DataFrame | None) -> pd.DataFrame:
    """Types and missing columns, so an old or empty ledger loads the same shape as a full one."""
    for name in ("id", "width", "height", "steps", "seed"):
        frame[name] = pd.array(frame[name], dtype="Int64")
    for name in ("cfg_scale", "hires_scale", "cost_seconds", "model_evaluations", "energy_joules"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    frame["hires_enabled"] = frame["hires_enabled"].fillna(False).astype(bool)
    if RATING in frame.columns:
        frame[RATING] = pd.to_numeric(frame[RATING], errors="coerce").astype("float64")
    else:
        frame[RATING] = np.nan
    extra: list[str] = []
    if metrics is not None and not metrics.empty:
        ids = frame["id"].to_numpy(dtype=np.int64)
        aligned = metrics.reindex(ids)
        for name in aligned.columns:
            frame[str(name)] = pd.to_numeric(aligned[name], errors="coerce").to_numpy(dtype=np.float64)
            if str(name) not in FRAME_COLUMNS:
                extra.append(str(name))
    for name in MEASURE_COLUMNS:
        if name not in frame.columns:
            frame[name] = np.nan
    return frame[[*FRAME_COLUMNS, *sorted(extra)]].reset_index(drop=True)
