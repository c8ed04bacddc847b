"""Stand-in for ``modules/call_queue.py``: the lock the UI and API take around generation, and what the UI's
wrappers do to ``shared.state`` around a Generate press."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

queue_lock = threading.Lock()


@contextlib.contextmanager
def ui_request(job: str) -> Iterator[None]:
    """STAND-IN for ``wrap_gradio_gpu_call`` inside ``wrap_gradio_call`` (without the progress tasks, memmon
    and the queue lock, which the test helpers do not need): ``state.begin``, the call, ``state.end`` only
    when the call returned, then, either way, the flags and the job cleared. When the call raised, the real
    ``wrap_gradio_call_no_job`` reports the error and shows it as the UI's error HTML; the test helpers
    raise it instead."""
    from modules import shared

    state = shared.state
    state.begin(job=job)
    try:
        yield
        state.end()
    finally:
        state.skipped = False
        state.interrupted = False
        state.stopping_generation = False
        state.job_count = 0
        state.job = ""
