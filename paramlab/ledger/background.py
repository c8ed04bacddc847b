"""What the ledger writer needs from the background work (hashes, thumbnails, quality figures).

The work itself lives in :mod:`paramlab.aftercare`, which reads the ledger's records and sends its
findings back as operations; so the writer never imports it. Whoever builds the writer passes a
:data:`StartBackgroundWork` (the WebUI: ``lambda deliver: Aftercare(deliver, …)``); without one the
writer records rows only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from paramlab.ledger.operations import Findings
from paramlab.ledger.records import ImageRecord


class BackgroundWork(Protocol):
    """The writer's side of the background work; every method is cheap and never raises."""

    def take_images(self, images: list[ImageRecord]) -> None:
        """Start the work recorded images need (their pixels travel with it; the writer drops its own)."""

    def take_saved_file(self, image_uid: str, path: str) -> None:
        """An image's file was linked after its row was written: hash the file."""

    def flush(self, timeout: float) -> bool:
        """Wait until every finding was delivered; False on timeout."""

    def close(self, timeout: float) -> object:
        """Finish what is queued (bounded) and stop."""


StartBackgroundWork = Callable[[Callable[[Findings], None]], BackgroundWork]
"""Given where findings go (the writer's queue), the background work that delivers them there."""


class NoBackgroundWork:
    """A writer that only records rows: no hashes, thumbnails or figures."""

    def take_images(self, images: list[ImageRecord]) -> None:
        pass

    def take_saved_file(self, image_uid: str, path: str) -> None:
        pass

    def flush(self, timeout: float) -> bool:
        return True

    def close(self, timeout: float) -> object:
        return 0
