"""Real database refusals for the tests, on SQLite and PostgreSQL alike: a trigger that aborts a write.

The one place the tests hold dialect-specific SQL for making the database say no.
"""

from __future__ import annotations

import sqlalchemy as sa

from paramlab.ledger import Ledger


def refuse(ledger: Ledger, name: str, table: str, event: str, message: str, when: str | None = None,
           timing: str = "BEFORE") -> None:
    """Make the database abort every ``event`` ("INSERT", "UPDATE") on ``table`` (where ``when``, a
    condition on ``NEW``, holds) with ``message``, ``timing`` ("BEFORE" or "AFTER") the row is written."""
    with ledger.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            condition = f" WHEN {when}" if when else ""
            conn.exec_driver_sql(f"CREATE TRIGGER {name} {timing} {event} ON {table}{condition} "
                                 f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
            return
        condition = f"IF {when} THEN " if when else ""
        end = " END IF;" if when else ""
        conn.execute(sa.text(
            f"CREATE FUNCTION {name}_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"{condition}RAISE EXCEPTION '{message}';{end} RETURN NEW; END $$"
        ))
        conn.execute(sa.text(f"CREATE TRIGGER {name} {timing} {event} ON {table} "
                             f"FOR EACH ROW EXECUTE FUNCTION {name}_fn()"))


def allow(ledger: Ledger, name: str, table: str) -> None:
    """Remove a refusal made by :func:`refuse`."""
    with ledger.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
            return
        conn.execute(sa.text(f"DROP TRIGGER {name} ON {table}"))
        conn.execute(sa.text(f"DROP FUNCTION {name}_fn()"))


def take_away(ledger: Ledger, table: str) -> None:
    """Rename ``table`` away, as a damaged or half-migrated database would lack it: every read of it fails."""
    with ledger.engine.begin() as conn:
        conn.execute(sa.text(f"ALTER TABLE {table} RENAME TO {table}_gone"))


MISSING_TABLE = "no such table|does not exist"
"""How SQLite and PostgreSQL say a table is not there."""
