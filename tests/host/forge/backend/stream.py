"""Stand-in for ``backend/stream.py``: "Swap Method" Async switches this on."""

stream_activated = False
