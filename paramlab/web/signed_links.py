"""Signed image links: how the tab's ``<img>`` tags reach the file routes when the browser holds no
Basic credentials (``--api-auth`` alone). A link names one kind of file of one image (or, for ``input``, one
stored input image by its SHA-256) and expires; the secret lives as long as the process.
:class:`paramlab.web.access.AccessRule` checks them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from typing import Any, Literal

SignedKind = Literal["thumbnail", "file", "input"]
SIGNED_KINDS: tuple[str, ...] = ("thumbnail", "file", "input")
LINK_STEP_SECONDS = 3600
_SHA256 = re.compile(r"[0-9a-f]{64}")


def link_subject(kind: str, subject: Any) -> str | None:
    """What a link of ``kind`` names, as signed: an image id (a whole number), or for ``input`` a SHA-256
    (64 lower-case hex digits); None for anything else (never signed, never accepted)."""
    if kind == "input":
        return subject if isinstance(subject, str) and _SHA256.fullmatch(subject) else None
    try:
        return str(int(subject))
    except (TypeError, ValueError):
        return None


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

    def signature(self, kind: str, image_id: int | str, expires: int) -> str:
        subject = link_subject(kind, image_id)
        if subject is None:
            raise ValueError(f"a {kind} link cannot name {image_id!r}")
        message = f"{kind}\n{subject}\n{int(expires)}".encode("ascii")
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def sign(self, path: str, kind: SignedKind, image_id: int | str, now: float | None = None) -> str:
        """``path`` with ``?exp=…&sig=…`` that the route for ``kind`` of ``image_id`` (an input's SHA-256 for
        ``input``) accepts until ``exp``."""
        if kind not in SIGNED_KINDS:
            raise ValueError(f"kind must be one of {SIGNED_KINDS}, got {kind!r}")
        expires = link_expiry(time.time() if now is None else now)
        return f"{path}?exp={expires}&sig={self.signature(kind, image_id, expires)}"

    def verify(self, kind: str, image_id: Any, expires: str | None, signature: str | None,
               now: float | None = None) -> bool:
        """True when ``signature`` was made here for exactly this kind, id and expiry, and has not expired."""
        if not expires or not signature or not expires.isdigit() or kind not in SIGNED_KINDS:
            return False
        subject = link_subject(kind, image_id)
        if subject is None:
            return False
        if int(expires) <= (time.time() if now is None else now):
            return False
        expected = self.signature(kind, subject, int(expires))
        return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))


PROCESS_SIGNER = UrlSigner()  # what the tab signs its image links with, and what the file routes check


__all__ = ["LINK_STEP_SECONDS", "PROCESS_SIGNER", "SIGNED_KINDS", "SignedKind", "UrlSigner", "link_expiry",
           "link_subject"]
