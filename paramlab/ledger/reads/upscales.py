"""Reads of upscaled images (latent or pixel-upscaler hires, tiled SD upscale, Extras) for comparing the
methods: each with the cost of the image it came from, so a method is priced for the whole way to its output."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from paramlab.ledger import Ledger, schema
from paramlab.ledger.reads.frames import fetch_rows, load_metrics

NEWEST_UPSCALES = 20_000  # newest upscaled images read at most
UPSCALE_COLUMNS = ("id", "model_hash", "model_name", "width", "height", "hires_enabled", "hires_upscaler",
                   "upscale", "cost_seconds", "source_cost", "rating")


@dataclass
class UpscaledImages:
    """The newest upscaled images (:data:`UPSCALE_COLUMNS`, newest first), their figures, and how many
    finished upscaled images the ledger holds in all."""

    rows: pd.DataFrame
    figures: pd.DataFrame | None  # one row per image id; None when no image was read
    total: int


def upscaled_images(ledger: Ledger, limit: int = NEWEST_UPSCALES) -> UpscaledImages:
    """Finished images made with hires fix or recorded as an upscale, at most ``limit`` of the newest."""
    images = schema.images
    source = images.alias("source")
    columns = [images.c.id, images.c.model_hash, images.c.model_name, images.c.width, images.c.height,
               images.c.hires_enabled, images.c.hires_upscaler, images.c.upscale, images.c.cost_seconds,
               source.c.cost_seconds.label("source_cost"), images.c.rating]
    where = [sa.or_(images.c.hires_enabled.is_(True), images.c.upscale.is_not(None)), images.c.status == "ok"]
    newest = sa.select(images.c.id).where(*where).order_by(images.c.id.desc()).limit(limit)
    with ledger.read("read the upscaled images") as conn:
        total = int(conn.execute(sa.select(sa.func.count()).select_from(images).where(*where)).scalar_one())
        query = (sa.select(*columns).select_from(images.outerjoin(source, images.c.source_image_id == source.c.id))
                 .where(*where).order_by(images.c.id.desc()).limit(limit))
        rows = fetch_rows(conn, query, UPSCALE_COLUMNS)
        figures = load_metrics(conn, [*where, images.c.id.in_(newest)], None) if len(rows) else None
    return UpscaledImages(rows, figures, total)


__all__ = ["NEWEST_UPSCALES", "UPSCALE_COLUMNS", "UpscaledImages", "upscaled_images"]
