"""Blind judging in a real Chromium (the standalone page, the same section as the WebUI tab): keyboard votes
are stored with the order shown, and no variant's name is on the page before its vote."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from abtest_ledger import fill_abtest, record_definition
from browser_support import chromium_page, paramlab_server, require_browser

from paramlab.abtest.ledger_io import stored_votes
from paramlab.ledger import Ledger
from paramlab.paths import resolve_ledger_url

pytestmark = pytest.mark.browser
NAMES = ("Fast draft", "Careful")
KEYS = (("ArrowLeft", "left is better"), ("=", "a tie"), ("s", "skipped"), ("ArrowRight", "right is better"))


def pair_markup(page: Any) -> str:
    return page.locator("#paramlab-ab-pair").first.inner_html()


def test_keyboard_votes_are_stored_and_names_stay_hidden_until_the_vote(tmp_path: Path) -> None:
    require_browser()
    db = tmp_path / "ledger.sqlite"
    ledger = Ledger.open(resolve_ledger_url(db, tmp_path))
    fill_abtest(ledger)
    record_definition(ledger)
    ledger.close()
    with paramlab_server(db, tmp_path) as server, chromium_page() as page:
        page.goto(server.url)
        page.locator("#paramlab-tab > .tab-nav > button", has_text="A/B tests").first.click()
        page.locator("#paramlab-ab-pair [data-pair]").first.wait_for(timeout=30_000)
        view = page.locator("#paramlab-ab-view").first
        assert not any(name in view.inner_html() for name in NAMES)  # not even in hidden markup
        assert "pair 1 of 6" in view.inner_text()
        page.locator("#paramlab-ab-profile-name textarea, #paramlab-ab-profile-name input").first.type("s")
        page.wait_for_timeout(500)  # typing "s" into a field is no vote
        assert "Your vote" not in page.locator("#paramlab-ab-status").first.inner_text()
        page.locator("body").click(position={"x": 1, "y": 1})
        revealed = []
        for number, (key, words) in enumerate(KEYS, start=1):
            before = pair_markup(page)
            assert not any(name in before for name in NAMES)
            page.keyboard.press(key)
            status = page.locator("#paramlab-ab-status", has_text=f"Your vote: {words}").first
            status.wait_for(timeout=15_000)
            text = status.inner_text()
            left = next(name for name in NAMES if f"Left was {name}" in text)
            right = next(name for name in NAMES if f"right was {name}" in text)
            revealed.append((left, right))
            page.locator("#paramlab-ab-pair", has_text=f"pair {number + 1} of 6").first.wait_for(timeout=15_000)
        page.locator("#paramlab-ab-decide").first.click()
        page.locator("#paramlab-ab-decision .paramlab-ab-sentence").first.wait_for(timeout=30_000)
        assert "3 votes" in page.locator("#paramlab-ab-decision").first.inner_text()
    ledger = Ledger.open(resolve_ledger_url(db, tmp_path))
    try:
        votes = stored_votes(ledger, "night test")
    finally:
        ledger.close()
    assert [vote.choice for vote in votes] == ["left", "tie", "skip", "right"]
    assert [(vote.left_variant, vote.right_variant) for vote in votes] == revealed
    assert len({frozenset((vote.left_image_id, vote.right_image_id)) for vote in votes}) == 4
