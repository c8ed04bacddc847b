"""The read for replaying a recorded image: its row with its run's columns, the run's reproducibility
fingerprint, what a replay needs beyond the row (the run's batch size, replay arguments and verdict), and the
preview kept in the ledger (what a new generation is compared with when the file is gone)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from paramlab.ledger import Ledger, schema
from paramlab.ledger.thumbnails import stored_thumbnail

# The run's columns a replay reads besides the image row (which already carries tab, source, script_name…).
REPLAY_RUN_COLUMNS = ("fingerprint", "batch_size", "replay_args", "replay_verdict", "replay_reason", "device_name",
                      "role")


def replay_row(ledger: Ledger, image_id: int) -> dict[str, Any] | None:
    """Image ``image_id`` as :meth:`Ledger.image_query` reads it, with its run's :data:`REPLAY_RUN_COLUMNS`
    (``fingerprint`` as recorded, ``replay_args`` as JSON text…) and ``stored_thumbnail`` (bytes and media type,
    or None); None when there is no such image."""
    with ledger.read(f"read image {image_id}") as conn:
        row = conn.execute(ledger.image_query().where(schema.images.c.id == image_id)).first()
        if row is None:
            return None
        data = dict(row._mapping)
        run = conn.execute(
            sa.select(*(schema.runs.c[name].label(name) for name in REPLAY_RUN_COLUMNS))
            .where(schema.runs.c.id == data["run_id"])
        ).mappings().first()
        data["stored_thumbnail"] = stored_thumbnail(conn, image_id)
    data.update({name: (run or {}).get(name) for name in REPLAY_RUN_COLUMNS})
    return data


__all__ = ["REPLAY_RUN_COLUMNS", "replay_row"]
