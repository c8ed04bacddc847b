"""Schema version 9 (blind A/B votes), reached from version 8 with rows in it, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from test_ledger_schema_v8 import counts, fill_old_ledger

from paramlab.ledger import Ledger, migrations, schema
from paramlab.ledger.urls import resolve_ledger_url


def test_a_version_8_ledger_gains_the_votes_table_and_keeps_its_rows(empty_ledger_location: str,
                                                                     tmp_path: Path) -> None:
    url = resolve_ledger_url(empty_ledger_location, tmp_path)
    engine = sa.create_engine(url)
    try:
        assert migrations.migrate(engine, target=8) == list(range(1, 9))
        with engine.begin() as conn:
            fill_old_ledger(conn)
            before = counts(conn)
    finally:
        engine.dispose()
    ledger = Ledger.open(url)
    try:
        assert ledger.schema_version() == schema.SCHEMA_VERSION >= 9
        with ledger.engine.connect() as conn:
            assert counts(conn) == before
            inspector = sa.inspect(conn)
            assert {c["name"] for c in inspector.get_columns("ab_votes")} == {c.name for c in schema.ab_votes.columns}
            assert "ix_ab_votes_test_name" in {index["name"] for index in inspector.get_indexes("ab_votes")}
        with ledger.write() as conn:  # applied again (a crash before its version record): nothing changes
            migrations.MIGRATIONS[9](conn)
    finally:
        ledger.close()
