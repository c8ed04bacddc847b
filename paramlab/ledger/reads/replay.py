"""The read for replaying a recorded image: its row with its run's columns, the run's reproducibility
fingerprint, and the preview kept in the ledger (what a new generation is compared with when the file is gone)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from paramlab.ledger import Ledger, schema
from paramlab.ledger.thumbnails import stored_thumbnail


def replay_row(ledger: Ledger, image_id: int) -> dict[str, Any] | None:
    """Image ``image_id`` as :meth:`Ledger.image_query` reads it, with ``fingerprint`` (its run's, as recorded)
    and ``stored_thumbnail`` (bytes and media type, or None); None when there is no such image."""
    with ledger.read(f"read image {image_id}") as conn:
        row = conn.execute(ledger.image_query().where(schema.images.c.id == image_id)).first()
        if row is None:
            return None
        data = dict(row._mapping)
        fingerprint = conn.execute(
            sa.select(schema.runs.c.fingerprint).where(schema.runs.c.id == data["run_id"])
        ).scalar_one_or_none()
        data["stored_thumbnail"] = stored_thumbnail(conn, image_id)
    data["fingerprint"] = fingerprint
    return data


__all__ = ["replay_row"]
