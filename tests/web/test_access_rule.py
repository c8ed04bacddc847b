"""The signer and the parsers behind ParamLab's one login rule (:mod:`paramlab.web.access`)."""

from __future__ import annotations

import re

import pytest

from paramlab.web.access import parse_credentials
from paramlab.web.cross_site import is_json, is_same_origin
from paramlab.web.signed_links import UrlSigner, link_expiry

HOUR = 3600
NOON = 1_717_243_200  # 2024-06-01 12:00:00 UTC, a full hour


def parts(url: str) -> tuple[str, str]:
    found = re.fullmatch(r"/x\?exp=(\d+)&sig=([A-Za-z0-9_-]+)", url)
    assert found, url
    return found.group(1), found.group(2)


def test_links_expire_one_to_two_hours_later_and_stay_the_same_within_an_hour() -> None:
    assert link_expiry(NOON) == NOON + 2 * HOUR
    assert link_expiry(NOON + HOUR - 1) == NOON + 2 * HOUR  # same hour, same link: the browser cache holds
    assert link_expiry(NOON + HOUR) == NOON + 3 * HOUR
    signer = UrlSigner()
    assert signer.sign("/x", "file", 7, now=NOON + 5) == signer.sign("/x", "file", 7, now=NOON + 3000)


def test_a_signature_holds_for_its_kind_id_and_expiry_only() -> None:
    signer = UrlSigner()
    expires, signature = parts(signer.sign("/x", "thumbnail", 42, now=NOON))
    assert signer.verify("thumbnail", 42, expires, signature, now=NOON)
    assert signer.verify("thumbnail", "42", expires, signature, now=int(expires) - 1)  # path params are text
    assert not signer.verify("thumbnail", 42, expires, signature, now=int(expires))  # expired
    assert not signer.verify("file", 42, expires, signature, now=NOON)  # another kind
    assert not signer.verify("thumbnail", 43, expires, signature, now=NOON)  # another image
    assert not signer.verify("thumbnail", 42, str(int(expires) + HOUR), signature, now=NOON)  # stretched
    assert not UrlSigner().verify("thumbnail", 42, expires, signature, now=NOON)  # another process's secret
    for bad_expires, bad_signature in ((None, signature), (expires, None), ("", ""), ("-1", signature),
                                       (expires, signature[:-1]), (expires, "é" * 43), ("1e12", signature)):
        assert not signer.verify("thumbnail", 42, bad_expires, bad_signature, now=NOON)
    assert not signer.verify("thumbnail", "x", expires, signature, now=NOON)


def test_only_the_two_file_routes_can_be_signed() -> None:
    with pytest.raises(ValueError):
        UrlSigner().sign("/x", "profiles", 1)  # type: ignore[arg-type]
    assert not UrlSigner().verify("profiles", 1, "9999999999", "abc")


def test_logins_are_read_like_a1111s_and_a_bad_one_is_refused() -> None:
    assert parse_credentials(["alice:pw,bob:p:w:d", " carol:x ", "", "dave:"]) == [
        ("alice", "pw"), ("bob", "p:w:d"), ("carol", "x"), ("dave", "")]
    for bad in (["alice"], ["alice:pw,hunter2"], [":pw"]):
        with pytest.raises(ValueError) as caught:
            parse_credentials(bad)
        assert "user:password" in str(caught.value) and "hunter2" not in str(caught.value)


@pytest.mark.parametrize(("content_type", "is_json_body"), [
    ("application/json", True), ("Application/JSON; charset=utf-8", True), ("application/merge-patch+json", True),
    ("text/plain", False), ("text/plain; charset=application/json", False),
    ("application/x-www-form-urlencoded", False), ("multipart/form-data; boundary=x", False), ("", False),
    (None, False), ("application/jsonp", False),
])
def test_only_a_json_content_type_counts_as_json(content_type: str | None, is_json_body: bool) -> None:
    assert is_json(content_type) is is_json_body


@pytest.mark.parametrize(("headers", "same"), [
    ({}, True),  # a script: no browser, no other site
    ({"host": "127.0.0.1:7870", "origin": "http://127.0.0.1:7870"}, True),
    ({"host": "LOCALHOST:7870", "origin": "http://localhost:7870"}, True),
    ({"host": "127.0.0.1:7870", "origin": "http://127.0.0.1:7871"}, False),
    ({"host": "127.0.0.1:7870", "origin": "http://evil.example"}, False),
    ({"host": "127.0.0.1:7870", "origin": "null"}, False),
    ({"host": "127.0.0.1:7870", "origin": "http://127.0.0.1:7870", "sec-fetch-site": "cross-site"}, False),
    ({"host": "127.0.0.1:7870", "origin": "http://127.0.0.1:7870", "sec-fetch-site": "same-site"}, False),
    ({"host": "backend:7870", "origin": "https://lab.example", "sec-fetch-site": "same-origin"}, True),  # a proxy
])
def test_same_origin_trusts_the_browsers_own_headers(headers: dict[str, str], same: bool) -> None:
    assert is_same_origin(headers) is same
