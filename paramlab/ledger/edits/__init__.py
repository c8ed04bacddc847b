"""The ledger's small direct writes outside the generation writer (profiles, series, ratings, votes,
deletions): each one transaction that changes nothing when it fails, raising only
:class:`~paramlab.ledger.LedgerError` or the store's own error."""
