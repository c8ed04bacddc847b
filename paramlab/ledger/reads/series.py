"""Reading the stored character series and how many images carry each one.

Rows come back as plain dicts (the ``series`` columns, times aware UTC); turning a row into a
:class:`~paramlab.seeds.series.Series` is the series store's job. Names are looked up by their key
(``name_key``: the stripped, lowercased name), which the caller computes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from paramlab.ledger import schema
from paramlab.ledger.records import plain_row
from paramlab.ledger.store import Ledger

READING = "read the series"
table = schema.series


def stored_series(ledger: Ledger) -> list[dict[str, Any]]:
    """Every series' row, by name key."""
    with ledger.read(READING) as conn:
        return [plain_row(row._mapping) for row in conn.execute(sa.select(table).order_by(table.c.name_key))]


def series_names(ledger: Ledger) -> list[str]:
    """Every series' name, by name key (also those whose row no longer reads as a series)."""
    with ledger.read(READING) as conn:
        return list(conn.execute(sa.select(table.c.name).order_by(table.c.name_key)).scalars())


def stored_one_series(ledger: Ledger, key: str) -> dict[str, Any] | None:
    """The row of the series whose name key is ``key``, or None."""
    with ledger.read(READING) as conn:
        row = conn.execute(sa.select(table).where(table.c.name_key == key)).first()
    return plain_row(row._mapping) if row is not None else None


def images_per_series(ledger: Ledger) -> dict[str, int]:
    """How many images carry each series tag, keyed by the tag as written on the images (images tagged
    before a rename keep the old name; folding case is the caller's choice)."""
    images = schema.images
    query = sa.select(images.c.series, sa.func.count()).where(images.c.series.is_not(None)).group_by(images.c.series)
    with ledger.read("count the images of each series") as conn:
        return {name: int(count) for name, count in conn.execute(query)}
