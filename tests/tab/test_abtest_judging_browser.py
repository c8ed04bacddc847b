"""Blind judging in a real Chromium (the standalone page, the same section as the WebUI tab): keyboard votes
are stored with the order shown, nothing on the page leads to a variant before its vote (no name, no image
id, no link to the detail view), and one key press is one vote: auto-repeats, a key held down and a double
click never vote on a pair the judge has not seen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from abtest_ledger import fill_abtest, record_definition, store_previews
from browser_support import chromium_page, paramlab_server, require_browser

from paramlab.ledger import Ledger
from paramlab.ledger.reads.abtest import stored_votes
from paramlab.ledger.urls import resolve_ledger_url

pytestmark = pytest.mark.browser
NAMES = ("Fast draft", "Careful")
KEYS = (("ArrowLeft", "left is better"), ("=", "a tie"), ("s", "skipped"), ("ArrowRight", "right is better"))


# The pair numbered n is on view with both pictures loaded (the page may live in gradio-app's shadow root).
PAIR_ON_VIEW_JS = """(n) => {
    const host = document.querySelector('gradio-app');
    const root = (host && host.shadowRoot) || document;
    const pair = root.querySelector('#paramlab-ab-pair');
    if (!pair || !pair.innerText.includes(`pair ${n} of 6`)) return false;
    const pictures = [...pair.querySelectorAll('img')];
    return pictures.length === 2 && pictures.every((img) => img.complete && img.naturalWidth > 0);
}"""
# A keydown (and optionally its keyup) made by the page itself, for what a keyboard does that Playwright's
# cannot: a repeat flag on a first press, or a second keydown with no keyup and no repeat flag.
KEY_EVENT_JS = """([type, key, code, repeat]) => {
    document.body.dispatchEvent(new KeyboardEvent(type, {key, code, repeat, bubbles: true, cancelable: true}));
}"""


def pair_markup(page: Any) -> str:
    return page.locator("#paramlab-ab-pair").first.inner_html()


def wait_for_pair(page: Any, number: int) -> None:
    page.wait_for_function(PAIR_ON_VIEW_JS, arg=number, timeout=15_000)


def judging_server(tmp_path: Path) -> Path:
    """A ledger with one test of six pairs, each image with a preview in the ledger."""
    db = tmp_path / "ledger.sqlite"
    ledger = Ledger.open(resolve_ledger_url(db, tmp_path))
    fill_abtest(ledger)
    record_definition(ledger)
    store_previews(ledger)
    ledger.close()
    return db


def votes_in(db: Path, tmp_path: Path) -> list[Any]:
    ledger = Ledger.open(resolve_ledger_url(db, tmp_path))
    try:
        return stored_votes(ledger, "night test")
    finally:
        ledger.close()


def open_judging(page: Any, url: str) -> None:
    page.goto(url)
    page.locator("#paramlab-tab > .tab-nav > button", has_text="A/B tests").first.click()
    wait_for_pair(page, 1)


def test_keyboard_votes_are_stored_and_names_stay_hidden_until_the_vote(tmp_path: Path) -> None:
    require_browser()
    db = judging_server(tmp_path)
    with paramlab_server(db, tmp_path) as server, chromium_page() as page:
        open_judging(page, server.url)
        view = page.locator("#paramlab-ab-view").first
        assert not any(name in view.inner_html() for name in NAMES)  # not even in hidden markup
        leads = page.evaluate(r"""() => {
            const host = document.querySelector('gradio-app');
            const pair = ((host && host.shadowRoot) || document).querySelector('#paramlab-ab-pair');
            return [...pair.querySelectorAll('*')].flatMap((element) => [...element.attributes])
                .filter((a) => a.name !== 'data-pair')
                .filter((a) => /\/paramlab\/|#paramlab-image|^\d+$/.test(a.value)
                               || (['src', 'href'].includes(a.name) && !a.value.startsWith('data:')))
                .map((a) => `${a.name}=${a.value.slice(0, 80)}`);
        }""")
        assert leads == []  # no image id, route or link: the detail view would name the variant
        assert page.locator("#paramlab-ab-pair a").count() == 0
        assert "pair 1 of 6" in view.inner_text()
        page.locator("#paramlab-ab-profile-name textarea, #paramlab-ab-profile-name input").first.type("s")
        page.wait_for_timeout(500)  # typing "s" into a field is no vote
        assert "Your vote" not in page.locator("#paramlab-ab-status").first.inner_text()
        page.locator("body").click(position={"x": 1, "y": 1})
        revealed = []
        for number, (key, words) in enumerate(KEYS, start=1):
            before = pair_markup(page)
            assert not any(name in before for name in NAMES)
            wait_for_pair(page, number)
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
    votes = votes_in(db, tmp_path)
    assert [vote.choice for vote in votes] == ["left", "tie", "skip", "right"]
    assert [(vote.left_variant, vote.right_variant) for vote in votes] == revealed
    assert len({frozenset((vote.left_image_id, vote.right_image_id)) for vote in votes}) == 4


def test_a_held_key_a_repeat_and_a_double_click_vote_once_on_the_pair_on_view(tmp_path: Path) -> None:
    require_browser()
    db = judging_server(tmp_path)
    with paramlab_server(db, tmp_path) as server, chromium_page() as page:
        open_judging(page, server.url)
        page.locator("body").click(position={"x": 1, "y": 1})
        # A dispatched auto-repeat (repeat: true) of a key that was never pressed: no vote.
        page.evaluate(KEY_EVENT_JS, ["keydown", "ArrowRight", "ArrowRight", True])
        page.evaluate(KEY_EVENT_JS, ["keyup", "ArrowRight", "ArrowRight", False])
        # Holding ←: the first keydown votes on pair 1; Playwright's further downs are auto-repeats.
        page.keyboard.down("ArrowLeft")
        wait_for_pair(page, 2)
        for _ in range(3):
            page.keyboard.down("ArrowLeft")  # repeat: true
        page.keyboard.up("ArrowLeft")
        page.keyboard.press("s")
        wait_for_pair(page, 3)
        # A second keydown of a key still down, without the repeat flag (some keyboards and remote desktops).
        page.evaluate(KEY_EVENT_JS, ["keydown", "ArrowRight", "ArrowRight", False])
        wait_for_pair(page, 4)
        page.evaluate(KEY_EVENT_JS, ["keydown", "ArrowRight", "ArrowRight", False])
        page.evaluate(KEY_EVENT_JS, ["keyup", "ArrowRight", "ArrowRight", False])
        page.keyboard.press("=")
        wait_for_pair(page, 5)
        # A double click: the second click leaves before the next pair is on view.
        page.evaluate("""() => {
            const host = document.querySelector('gradio-app');
            const button = ((host && host.shadowRoot) || document).querySelector('#paramlab-ab-left');
            button.click();
            button.click();
        }""")
        wait_for_pair(page, 6)
        page.keyboard.press("s")
        page.locator("#paramlab-ab-pair", has_text="You have judged all 6 pairs").first.wait_for(timeout=15_000)
    votes = votes_in(db, tmp_path)
    assert [vote.choice for vote in votes] == ["left", "skip", "right", "tie", "left", "skip"]
    assert len({frozenset((vote.left_image_id, vote.right_image_id)) for vote in votes}) == 6
