"""The ledger section: filters, table, detail view and the actions on an image."""
