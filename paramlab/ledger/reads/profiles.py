"""Reading the stored profiles, their version history and what the ledger recorded with them.

Rows come back as plain dicts (the ``profiles`` / ``profile_versions`` columns, times aware UTC); turning a
row into a :class:`~paramlab.profiles.model.Profile` is the profile store's job. Names are looked up by
their key (``name_key``: the stripped, lowercased name), which the caller computes."""

from __future__ import annotations

from typing import Any

import pandas as pd
import sqlalchemy as sa

from paramlab.ledger import schema
from paramlab.ledger.records import plain_row
from paramlab.ledger.store import Ledger

READING = "read the profiles"
table = schema.profiles
versions = schema.profile_versions


def stored_profiles(ledger: Ledger) -> list[dict[str, Any]]:
    """Every stored profile's row, by name key (starters live in code, not here)."""
    with ledger.read(READING) as conn:
        return [plain_row(row._mapping) for row in conn.execute(sa.select(table).order_by(table.c.name_key))]


def stored_profile(ledger: Ledger, key: str) -> dict[str, Any] | None:
    """The row of the stored profile whose name key is ``key``, or None."""
    with ledger.read(READING) as conn:
        row = conn.execute(sa.select(table).where(table.c.name_key == key)).first()
    return plain_row(row._mapping) if row is not None else None


def profile_history(ledger: Ledger, key: str) -> list[dict[str, Any]] | None:
    """Every version of the profile called ``key`` now, or (deleted) last; oldest first. None when the name
    was never a profile's."""
    with ledger.read(READING) as conn:
        uid = conn.execute(sa.select(table.c.profile_uid).where(table.c.name_key == key)).scalar()
        if uid is None:  # a deleted profile: its last name
            uid = conn.execute(sa.select(versions.c.profile_uid).where(sa.func.lower(versions.c.name) == key)
                               .order_by(versions.c.changed_at.desc()).limit(1)).scalar()
        if uid is None:
            return None
        rows = conn.execute(sa.select(versions).where(versions.c.profile_uid == uid).order_by(versions.c.version))
        return [plain_row(row._mapping) for row in rows]


def profile_image_costs(ledger: Ledger) -> pd.DataFrame:
    """One row per image that carries a profile name: ``profile``, ``run_id``, ``cost_seconds`` and its
    run's ``peak_vram_bytes`` (what the profile figures are measured from)."""
    images, runs = schema.images, schema.runs
    query = (
        sa.select(images.c.profile, images.c.run_id, images.c.cost_seconds, runs.c.peak_vram_bytes)
        .select_from(images.join(runs, images.c.run_id == runs.c.id))
        .where(images.c.profile.is_not(None))
    )
    with ledger.read("read the images made with profiles") as conn:
        return pd.DataFrame(conn.execute(query).all(), columns=["profile", "run_id", "cost_seconds", "peak_vram_bytes"])


def profile_run_outcomes(ledger: Ledger) -> pd.DataFrame:
    """One row per run recorded with a profile name: ``profile``, ``run_id``, ``status``, ``error_type`` and
    ``error`` (a failed run may have no image, so runs are read apart from images)."""
    runs = schema.runs
    query = sa.select(runs.c.profile, runs.c.id, runs.c.status, runs.c.error_type, runs.c.error).where(
        runs.c.profile.is_not(None))
    with ledger.read("read the runs made with profiles") as conn:
        return pd.DataFrame(conn.execute(query).all(), columns=["profile", "run_id", "status", "error_type", "error"])
