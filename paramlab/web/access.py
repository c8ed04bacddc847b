"""Who may call a ``/paramlab/v1`` route: one rule for the WebUI and the standalone page alike.

With no login configured everything is open, as in A1111. Otherwise a request needs one of:

- valid HTTP Basic credentials from ``--api-auth`` (scripts and API clients),
- a valid gradio login cookie when the page itself asks for a login (``--gradio-auth``, ``serve --auth``),
- for the file routes only (an image's thumbnail and file, a stored input image), a signed short-lived URL,
  which is how the tab's ``<img>`` tags get through when the browser holds no Basic credentials (``--api-auth``
  alone).

The acting user is whoever those checked credentials name (:meth:`AccessRule.verified_user`), never a name
a request merely claims. Every route behind the rule also refuses a changing request that another site
could make a browser send (:mod:`paramlab.web.cross_site`).

This module imports neither the WebUI's ``modules`` nor gradio, so the standalone page uses it too.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException, Request

from paramlab.web.cross_site import refuse_simple_writes
from paramlab.web.signed_links import PROCESS_SIGNER, SIGNED_KINDS, SignedKind, UrlSigner

GRADIO_COOKIE_PREFIX = "access-token"  # gradio 3 and 4: access-token, access-token-unsecure, access-token-<id>


def parse_credentials(texts: Iterable[str]) -> list[tuple[str, str]]:
    """``user:password`` entries, several per text separated by commas, like A1111's ``--gradio-auth``.

    An entry without a colon is refused (``ValueError``) rather than skipped: a mistyped login must not
    leave a server open.
    """
    pairs = []
    entries = [entry.strip() for text in texts for entry in text.split(",")]
    for number, entry in enumerate((entry for entry in entries if entry), start=1):
        user, colon, password = entry.partition(":")
        if not colon or not user:  # the entry itself is not echoed: it may be a password
            raise ValueError(f"ParamLab: each login must be user:password; login {number} is not.")
        pairs.append((user, password))
    return pairs


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """The user and password of an ``Authorization: Basic`` header; None when absent or unreadable."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        text = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, colon, password = text.partition(":")
    return (user, password) if colon else None


@dataclass(frozen=True)
class AccessRule:
    """The login rule of one server. Build it once and take every route's dependency from it."""

    basic_users: tuple[tuple[str, str], ...] = ()
    basic_auth: bool = False  # --api-auth was given, even if none of its entries could be read: closed
    gradio_auth: bool = False  # the page asks for a login (--gradio-auth, --gradio-auth-path, serve --auth)
    gradio_app: Any = None  # the gradio app whose issued login tokens are in ``app.tokens``
    signer: UrlSigner = field(default=PROCESS_SIGNER, repr=False)

    @classmethod
    def open(cls) -> AccessRule:
        return cls()

    @property
    def needs_basic(self) -> bool:
        return self.basic_auth or bool(self.basic_users)

    @property
    def needs_gradio_login(self) -> bool:
        """Configured, or switched on in gradio itself (``app.auth``), which only ever makes the rule stricter."""
        return self.gradio_auth or bool(getattr(self.gradio_app, "auth", None))

    @property
    def is_open(self) -> bool:
        return not self.needs_basic and not self.needs_gradio_login

    def basic_user(self, request: Request) -> str | None:
        """The ``--api-auth`` user whose password this request's Basic header gives; None otherwise."""
        given = basic_credentials(request)
        if given is None:
            return None
        matches = [_same(given[0], user) & _same(given[1], password) for user, password in self.basic_users]
        return given[0] if any(matches) else None

    def cookie_user(self, request: Request) -> str | None:
        """The user gradio issued this request's login cookie to; None without a valid one."""
        tokens: Mapping[str, Any] = getattr(self.gradio_app, "tokens", None) or {}
        issued = list(tokens.items())  # another request may log in meanwhile
        offered = [value for name, value in request.cookies.items() if name.startswith(GRADIO_COOKIE_PREFIX)]
        users = [str(user) for value in offered for token, user in issued if _same(value, token)]
        return users[0] if users else None

    def basic_ok(self, request: Request) -> bool:
        return self.basic_user(request) is not None

    def gradio_cookie_ok(self, request: Request) -> bool:
        return self.cookie_user(request) is not None

    def verified_user(self, request: Request) -> str | None:
        """Who this request acts as: the user of a credential this rule checked and accepts (a right Basic
        password, else a valid login cookie). None when nothing names a user (no login configured, a signed
        link): a Basic user name whose password is wrong, or that no login checks, names nobody."""
        if self.needs_basic:
            user = self.basic_user(request)
            if user is not None:
                return user
        if self.needs_gradio_login:
            return self.cookie_user(request)
        return None

    def check(self, request: Request, signed_kind: SignedKind | None = None) -> None:
        """Let the request through or raise 401 saying what would have been accepted."""
        if self.is_open:
            return
        if self.needs_basic and self.basic_ok(request):
            return
        if self.needs_gradio_login and self.gradio_cookie_ok(request):
            return
        signature = request.query_params.get("sig")
        subject = request.path_params.get("sha256" if signed_kind == "input" else "image_id")
        if signed_kind is not None and self.signer.verify(signed_kind, subject, request.query_params.get("exp"),
                                                          signature):
            return
        raise self.refusal(request, signed_kind, bad_signature=signed_kind is not None and signature is not None)

    def refusal(self, request: Request, signed_kind: SignedKind | None, bad_signature: bool) -> HTTPException:
        ways = []
        if self.needs_basic:
            ways.append("the --api-auth user and password (HTTP Basic)")
        if self.needs_gradio_login:
            ways.append("the page's login")
        if signed_kind is not None:
            ways.append("a signed image link from the ParamLab tab")
        if bad_signature:
            detail = "ParamLab: this image link has expired or is not valid; reload the ParamLab tab."
        elif basic_credentials(request) is not None:
            detail = "ParamLab: incorrect username or password."
        else:
            detail = "ParamLab: log in first. This route needs " + " or ".join(ways) + "."
        headers = {"WWW-Authenticate": "Basic"} if self.needs_basic else None
        return HTTPException(status_code=401, detail=detail, headers=headers)

    def dependency(self, signed_kind: SignedKind | None = None) -> Callable[[Request], None]:
        """A FastAPI dependency applying this rule, and refusing changing requests another site could send;
        ``signed_kind`` also admits signed links of that kind."""
        if signed_kind is not None and signed_kind not in SIGNED_KINDS:
            raise ValueError(f"signed_kind must be one of {SIGNED_KINDS}, got {signed_kind!r}")

        def paramlab_login(request: Request) -> None:
            self.check(request, signed_kind)
            refuse_simple_writes(request)

        return paramlab_login


__all__ = ["AccessRule", "basic_credentials", "parse_credentials"]
