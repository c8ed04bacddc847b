"""Reads of filtered images as DataFrames for the analysis and the charts: the rows, the quality figures pivoted
to one column per metric, and a reproducible sample drawn in SQL when there are too many rows to chart.

The rows come straight from the DBAPI cursor (building a ``Row`` per result row would triple the load time of a
100k-image ledger); the analysis gives them their types (:func:`paramlab.analysis.load.shape_frame`).
Older ledgers lack ``images.rating`` and ``image_metrics``; their reads leave those out rather than fail.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from paramlab.ledger import Ledger, schema
from paramlab.ledger.filters import ImageFilter, where_clause

images = schema.images
METRICS_TABLE = "image_metrics"
RATING = "rating"
# Knuth's multiplicative hash (2^32 / golden ratio): a deterministic, well spread order of ids.
_HASH_MULTIPLIER = 2654435761
_HASH_MODULUS = 2**32
_SEED_STRIDE = 7919


@dataclass
class ImageRows:
    """Filtered image rows (raw values) and their quality figures (one column per metric, indexed by image id;
    None when the ledger has no figures table or no rows)."""

    rows: pd.DataFrame
    metrics: pd.DataFrame | None
    total: int  # images matching the filter
    sampled: bool = False  # ``rows`` is a sample of ``total``


def fetch_rows(conn: sa.Connection, query: sa.Select, columns: Iterable[str]) -> pd.DataFrame:
    """Rows straight from the DBAPI cursor: SQLAlchemy binds the parameters, but builds no ``Row`` per row."""
    result = conn.execute(query)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    return pd.DataFrame.from_records(rows, columns=list(columns), coerce_float=False)


def load_metrics(conn: sa.Connection, where: list[sa.ColumnElement[bool]], limit: int | None) -> pd.DataFrame:
    """The long metric table for the selected images, pivoted to one column per metric.

    When a metric was computed more than once, the highest ``metric_version`` wins.
    """
    table = sa.Table(
        METRICS_TABLE, sa.MetaData(), sa.Column("image_id", sa.Integer), sa.Column("metric", sa.String),
        sa.Column("value", sa.Float), sa.Column("metric_version"),
    )
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


def image_rows(ledger: Ledger, filt: ImageFilter, columns: Sequence[str], limit: int | None = None) -> ImageRows:
    """``columns`` of ``images`` (and ``rating`` when the ledger has it) for every matching image, by id (the
    newest ``limit`` ones, newest first, when ``limit`` is given), with their figures."""
    where = where_clause(filt, ledger.engine.dialect.name)
    with ledger.read("read the images to analyse") as conn:
        inspector = sa.inspect(conn)
        has_rating = any(column["name"] == RATING for column in inspector.get_columns(images.name))
        has_metrics = inspector.has_table(METRICS_TABLE)
        selected = [images.c[name] for name in columns]
        names = list(columns)
        if has_rating:
            selected.append(sa.column(RATING, sa.Float))
            names.append(RATING)
        query = sa.select(*selected).select_from(images).where(*where)
        newest = images.c.id.desc() if limit is not None else images.c.id
        rows = fetch_rows(conn, query.order_by(newest).limit(limit), names)
        metrics = load_metrics(conn, where, limit) if has_metrics and len(rows) else None
    return ImageRows(rows, metrics, len(rows))


def _sample_hash(seed: int) -> sa.ColumnElement[Any]:
    """A pseudo-random but reproducible key per image id, computed by the database (SQLite and PostgreSQL)."""
    shifted = images.c.id + sa.literal(int(seed) * _SEED_STRIDE, sa.BigInteger)
    return (shifted * sa.literal(_HASH_MULTIPLIER, sa.BigInteger)) % sa.literal(_HASH_MODULUS, sa.BigInteger)


def sampled_rows(ledger: Ledger, filt: ImageFilter, columns: Sequence[str], max_points: int, seed: int = 0,
                 prompt_chars: int | None = None) -> ImageRows:
    """All matching images by id when they fit in ``max_points``, else a deterministic sample drawn in SQL
    (smallest hash of the id; never ORDER BY RANDOM() over the whole table), with their figures. ``prompt``
    is cut to ``prompt_chars + 1`` characters in SQL when given (a chart's tooltip needs no more)."""
    where = where_clause(filt, ledger.engine.dialect.name)
    selected = [sa.func.substr(images.c.prompt, 1, prompt_chars + 1) if name == "prompt" and prompt_chars
                else images.c[name] for name in columns]
    with ledger.read("read the images to chart") as conn:
        total = int(conn.execute(sa.select(sa.func.count()).select_from(images).where(*where)).scalar_one())
        sampled = total > max_points
        query = sa.select(*selected).where(*where)
        if sampled:
            key = _sample_hash(seed)
            # Pre-filter to about 1.2 × max_points rows so the database sorts few rows, not all of them.
            threshold = min(_HASH_MODULUS, math.ceil(_HASH_MODULUS * (max_points * 1.2 + 200) / total))
            rows = fetch_rows(conn, query.where(key < threshold).order_by(key, images.c.id).limit(max_points), columns)
            if len(rows) < max_points:  # filters correlated with the hash: take the slow, exact path
                rows = fetch_rows(conn, query.order_by(key, images.c.id).limit(max_points), columns)
            rows = rows.sort_values("id", kind="stable").reset_index(drop=True)
        else:
            rows = fetch_rows(conn, query.order_by(images.c.id), columns)
        metrics = None
        if len(rows):
            ids = [int(i) for i in rows["id"]]
            literal_ids = sa.bindparam("chart_ids", ids, expanding=True, literal_execute=True)
            metrics = load_metrics(conn, [images.c.id.in_(literal_ids)], None)
    return ImageRows(rows, metrics, total, sampled)


__all__ = ["ImageRows", "fetch_rows", "image_rows", "load_metrics", "sampled_rows"]
