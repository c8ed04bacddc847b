"""Stand-in for ``modules/call_queue.py``: the lock the UI and API take around generation."""

from __future__ import annotations

import threading

queue_lock = threading.Lock()
