"""The tab's canary: the latest report, the pins, the history; pin/unpin beside the ledger's selected image."""
