"""A database password is never echoed: not by a malformed URL's error (nor its traceback), not by the
printed location, not by the command line's messages, not in the WebUI's log; and the README keeps it off
every command line (PGPASSFILE/PGPASSWORD instead)."""

from __future__ import annotations

import logging
import re
import traceback
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from paramlab import cli
from paramlab.ledger.urls import LedgerLocationError, describe_url, holds_password, resolve_ledger_url

SECRET = "s3cret-pw"
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text", [
    f"postgresql+psycopg://paramlab:{SECRET}@db.studio.lan:port/paramlab",  # a port that is not a number
    f"postgresql://paramlab:{SECRET}@[::1/paramlab",  # an unclosed IPv6 bracket
    f"post gres://paramlab:{SECRET}@db/paramlab",  # no valid dialect name
    f"postgresql://paramlab:{SECRET}/paramlab",  # the host left out: the password reads as a port
    f"postgresql://paramlab:{SECRET[:3]}@{SECRET[3:]}@db:5432x/paramlab",  # an unencoded '@' in the password
    f"postgresql://paramlab@db:x5432/paramlab?password={SECRET}",  # a password given as a query parameter
])
def test_a_malformed_url_is_refused_without_its_password(text: str, tmp_path: Path) -> None:
    with pytest.raises(LedgerLocationError, match="not a valid database URL") as caught:
        resolve_ledger_url(text, tmp_path)
    shown = "".join(traceback.format_exception(caught.value))
    for piece in (SECRET, SECRET[:3] + "@", "@" + SECRET[3:]):
        assert piece not in shown, shown
    assert "***" in str(caught.value)


def test_a_printed_location_hides_the_password_and_a_password_parameter() -> None:
    url = make_url(f"postgresql+psycopg://paramlab:{SECRET}@db/paramlab?sslmode=require&password={SECRET}")
    shown = describe_url(url)
    assert shown.startswith("postgresql+psycopg://paramlab:***@db/paramlab?") and SECRET not in shown
    assert "password=***" in shown and "sslmode=require" in shown


@pytest.mark.parametrize("arguments", [
    ["--db", f"postgresql://paramlab:{SECRET}@db:port/paramlab", "export"],
    ["migrate", "--from", "ledger.sqlite", "--to", f"postgresql://paramlab:{SECRET}@db:port/paramlab"],
])
def test_the_command_line_says_what_is_wrong_without_the_password(arguments: list[str],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(arguments) == 2
    printed = capsys.readouterr()
    assert "not a valid database URL" in printed.err and SECRET not in printed.err + printed.out


def test_the_webui_warns_once_about_a_password_in_the_url_without_printing_it(
        caplog: pytest.LogCaptureFixture) -> None:
    from paramlab.webui import runtime

    with caplog.at_level(logging.WARNING, logger="paramlab"):
        runtime.warn_about_a_password_in(make_url(f"postgresql+psycopg://paramlab:{SECRET}@db/paramlab"))
        runtime.warn_about_a_password_in(make_url("postgresql+psycopg://paramlab@db/paramlab"))
    assert len(caplog.records) == 1 and "PGPASSFILE" in caplog.text and SECRET not in caplog.text


def test_a_password_in_the_url_is_noticed_in_either_place() -> None:
    assert holds_password(make_url(f"postgresql+psycopg://paramlab:{SECRET}@db/paramlab"))
    assert holds_password(make_url(f"postgresql+psycopg://paramlab@db/paramlab?sslmode=require&Password={SECRET}"))
    assert not holds_password(make_url("postgresql+psycopg://paramlab@db/paramlab?sslmode=require"))
    assert not holds_password(resolve_ledger_url(None, REPO))


def test_the_readme_puts_no_password_on_a_command_line() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    with_password = re.findall(r"[a-z][a-z0-9+]*://[^\s/@\"'`]*:[^\s/@\"'`]+@", readme)
    assert with_password == []
    assert "PGPASSFILE" in readme and "PGPASSWORD" in readme
