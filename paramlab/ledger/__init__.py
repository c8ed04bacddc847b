"""The ledger: every generation's settings and cost, in SQLite (WAL) or PostgreSQL."""

from paramlab.ledger.records import ImageRecord, RunRecord
from paramlab.ledger.store import Ledger, LedgerError

__all__ = ["ImageRecord", "Ledger", "LedgerError", "RunRecord"]
