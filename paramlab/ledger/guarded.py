"""Connections for the small stores kept in the ledger (profiles, series): a database failure becomes
the store's own error with a plain sentence, and a write is one transaction that changes nothing when
it fails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paramlab.ledger.store import Ledger, LedgerError


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]


@contextmanager
def reading(ledger: Ledger, error_type: type[Exception], what: str) -> Iterator[Connection]:
    """A read connection; "Could not read <what>: <reason>" on a database failure."""
    try:
        with ledger.engine.connect() as conn:
            yield conn
    except sa.exc.SQLAlchemyError as exc:
        raise error_type(f"Could not read {what}: {_reason(exc)}") from exc


@contextmanager
def transaction(ledger: Ledger, error_type: type[Exception], action: str, kind: str) -> Iterator[Connection]:
    """One transaction; "Could not <action>; nothing was changed: <reason>" after the rollback.

    ``kind`` names the thing ("a profile") for the message when a concurrent writer took the name first.
    """
    try:
        ledger.ensure_present()
        with ledger.write() as conn:
            yield conn
    except (sa.exc.SQLAlchemyError, LedgerError) as exc:
        reason = _reason(exc)
        if isinstance(exc, sa.exc.IntegrityError) and "unique" in reason.lower():  # lost a race for the name
            reason = f"{kind} with that name already exists (names are case-insensitive)"
        raise error_type(f"Could not {action}; nothing was changed: {reason}") from exc
