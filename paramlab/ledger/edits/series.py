"""Writing character series: :func:`series_edits` opens one transaction on the ``series`` table and hands
out its :class:`SeriesEdits` (find, insert, update, delete by name key and id; see :mod:`.named_rows`)."""

from __future__ import annotations

from contextlib import AbstractContextManager

from paramlab.ledger import schema
from paramlab.ledger.edits.named_rows import NamedRows, editing
from paramlab.ledger.store import Ledger


class SeriesEdits(NamedRows):
    """The reads and writes of one series transaction."""

    table = schema.series
    name_taken = "a series with that name already exists (names are case-insensitive)"


def series_edits(ledger: Ledger, what: str, errors_as: type[Exception] | None = None
                 ) -> AbstractContextManager[SeriesEdits]:
    """One transaction ("save series 'X'"): all its edits land, or none does."""
    return editing(SeriesEdits, ledger, what, errors_as)

