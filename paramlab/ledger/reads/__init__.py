"""The ledger's read side: typed reads grouped by subject (images, runs, jobs, metrics, profiles, series,
A/B tests, matrix cells, statistics). They return plain records or DataFrames, take the one filter model of
:mod:`paramlab.ledger.filters`, and raise only :class:`~paramlab.ledger.LedgerError`: nothing outside
``paramlab/ledger/`` writes SQL."""
