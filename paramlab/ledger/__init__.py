"""The ledger: every generation's settings and cost, in SQLite (WAL) or PostgreSQL.

Besides the store and its background writer, this package holds the ledger's files: PNGs read in
(:mod:`.importer`), CSV/JSON written out (:mod:`.exporter`) and previews of unsaved images (:mod:`.thumbnails`).
"""

from paramlab.ledger.records import ImageRecord, RunRecord
from paramlab.ledger.store import Ledger, LedgerError, database_errors

__all__ = ["ImageRecord", "Ledger", "LedgerError", "RunRecord", "database_errors"]
