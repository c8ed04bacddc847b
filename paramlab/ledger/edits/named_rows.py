"""The edits of one transaction on a table of named rows (profiles, series: a unique, case-insensitive
``name_key``), shared by :mod:`.profiles` and :mod:`.series`.

The store of each kind decides what is allowed (free names, locks) and raises its own errors inside the
transaction, which roll it back; a database failure arrives as :class:`~paramlab.ledger.LedgerError`, or
as the store's own error when it asks for that (``errors_as``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, ClassVar, TypeVar

import sqlalchemy as sa

from paramlab.ledger.records import plain_row
from paramlab.ledger.store import Ledger, ledger_errors_as


class NamedRows:
    """The reads and writes of one transaction on :attr:`table`; rows are plain dicts of its columns."""

    table: ClassVar[sa.Table]
    name_taken: ClassVar[str]  # the reason given when a concurrent writer took the name meanwhile

    def __init__(self, conn: sa.Connection):
        self._conn = conn

    def find(self, key: str) -> dict[str, Any] | None:
        """The row whose name key is ``key`` (as this transaction sees it), or None."""
        row = self._conn.execute(sa.select(self.table).where(self.table.c.name_key == key)).first()
        return plain_row(row._mapping) if row is not None else None

    def insert(self, values: dict[str, Any]) -> int:
        """A new row; its id."""
        return self._conn.execute(self.table.insert().values(**values)).inserted_primary_key[0]

    def update(self, row_id: int, values: dict[str, Any]) -> None:
        self._conn.execute(self.table.update().where(self.table.c.id == row_id).values(**values))

    def delete(self, row_id: int) -> None:
        self._conn.execute(self.table.delete().where(self.table.c.id == row_id))

    def row(self, row_id: int) -> dict[str, Any]:
        """The row with this id, as it is now."""
        return plain_row(self._conn.execute(sa.select(self.table).where(self.table.c.id == row_id)).one()._mapping)


Rows = TypeVar("Rows", bound=NamedRows)


@contextmanager
def editing(rows_type: type[Rows], ledger: Ledger, what: str, errors_as: type[Exception] | None = None
            ) -> Iterator[Rows]:
    """One transaction ("save profile 'X'") on ``rows_type``'s table: all its edits land, or none does.
    Its database failures become ``errors_as`` (same message) when given, else stay :class:`LedgerError`."""
    with ExitStack() as stack:
        if errors_as is not None:
            stack.enter_context(ledger_errors_as(errors_as))
        conn = stack.enter_context(ledger.transaction(what, name_taken=rows_type.name_taken))
        yield rows_type(conn)
