"""Signed image links: how the tab's ``<img>`` tags reach the two file routes when the browser holds no
Basic credentials (``--api-auth`` alone). A link names one kind of file of one image and expires; the
secret lives as long as the process. :class:`paramlab.web.access.AccessRule` checks them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import Any, Literal

SignedKind = Literal["thumbnail", "file"]
SIGNED_KINDS: tuple[str, ...] = ("thumbnail", "file")
LINK_STEP_SECONDS = 3600


def link_expiry(now: float) -> int:
    """The next full hour plus one hour: every link rendered within the same hour carries the same
    ``exp`` (so the browser's cache holds), and each stays valid for one to two hours."""
    return (int(now) // LINK_STEP_SECONDS + 2) * LINK_STEP_SECONDS


class UrlSigner:
    """HMAC-SHA256 signatures over (kind, image id, expiry) with a secret that lives as long as the process.

    Restarting the server invalidates every link it handed out; reloading the tab makes new ones.
    """

    def __init__(self, secret: bytes | None = None):
        self._secret = secret if secret is not None else secrets.token_bytes(32)

    def signature(self, kind: str, image_id: int, expires: int) -> str:
        message = f"{kind}\n{int(image_id)}\n{int(expires)}".encode("ascii")
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def sign(self, path: str, kind: SignedKind, image_id: int, now: float | None = None) -> str:
        """``path`` with ``?exp=…&sig=…`` that the route for ``kind`` of ``image_id`` accepts until ``exp``."""
        if kind not in SIGNED_KINDS:
            raise ValueError(f"kind must be one of {SIGNED_KINDS}, got {kind!r}")
        expires = link_expiry(time.time() if now is None else now)
        return f"{path}?exp={expires}&sig={self.signature(kind, image_id, expires)}"

    def verify(self, kind: str, image_id: Any, expires: str | None, signature: str | None,
               now: float | None = None) -> bool:
        """True when ``signature`` was made here for exactly this kind, id and expiry, and has not expired."""
        if not expires or not signature or not expires.isdigit() or kind not in SIGNED_KINDS:
            return False
        try:
            image_number = int(image_id)
        except (TypeError, ValueError):
            return False
        if int(expires) <= (time.time() if now is None else now):
            return False
        expected = self.signature(kind, image_number, int(expires))
        return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))


PROCESS_SIGNER = UrlSigner()  # what the tab signs its image links with, and what the file routes check


__all__ = ["LINK_STEP_SECONDS", "PROCESS_SIGNER", "SIGNED_KINDS", "SignedKind", "UrlSigner", "link_expiry"]
