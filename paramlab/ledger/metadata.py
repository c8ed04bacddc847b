"""The one SQLAlchemy ``MetaData`` every ledger table is declared on (in :mod:`.schema` and :mod:`.replay_schema`)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
