"""Making a ledger image again: the WebUI API request that replays it, what the host must have for it, and the
verdict on how exactly it can be made again. Core: no WebUI import; the WebUI side and the canary both use it."""
