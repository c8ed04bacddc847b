"""The judging page's server side: a pair's markup holds nothing that leads to a variant (no name, image id,
route or link: inline pictures stripped of their metadata and a random token), and a vote counts only for
the pair on view, and only once."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import gradio as gr
from abtest_ledger import fill_abtest, store_previews
from PIL import Image

from paramlab.gradio_compat import event_wiring
from paramlab.ledger import Ledger, schema
from paramlab.ledger.reads.abtest import VARIANT_KEY, abtest_images, stored_votes
from paramlab.tab.abtest.previews import blind_preview
from paramlab.tab.abtest.view import ALREADY_VOTED, NOT_LOADED, NOT_ON_VIEW, build_abtest_view

NAMES = ("Fast draft", "Careful")


class Attributes(HTMLParser):
    """Every attribute of every element, as (tag, name, value)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [(tag, name, value or "") for name, value in attrs]


def view_events(ledger: Ledger) -> tuple[Callable[..., list[Any]], dict[str, Callable[..., list[Any]]]]:
    """The functions behind choosing a test and behind the vote buttons, as the page wires them."""
    with gr.Blocks() as blocks:
        build_abtest_view(lambda: ledger)
    elem_ids = {block_id: getattr(block, "elem_id", None) for block_id, block in blocks.blocks.items()}
    events = {(event.trigger, elem_ids.get(target)): event.fn
              for event in event_wiring(blocks) for target in event.targets}
    votes = {choice: events[("click", f"paramlab-ab-{choice}")] for choice in ("left", "right", "tie", "skip")}
    return events[("change", "paramlab-ab-test")], votes


def test_the_pair_on_view_holds_no_name_id_route_or_metadata(ledger: Ledger) -> None:
    fill_abtest(ledger)
    store_previews(ledger, fmt="PNG")  # each preview's text chunk names its variant
    ids = {image.id for image in abtest_images(ledger, "night test")}
    open_test, _votes = view_events(ledger)
    markup, on_view, _status = open_test("night test")
    assert "pair 1 of 6" in markup and not any(name in markup for name in NAMES)
    assert "/paramlab/" not in markup and "href" not in markup and "#paramlab-image" not in markup
    parser = Attributes()
    parser.feed(markup)
    sources = [value for tag, name, value in parser.found if name == "src"]
    assert len(sources) == 2 and all(source.startswith("data:image/jpeg;base64,") for source in sources)
    for source in sources:
        data = base64.b64decode(source.split(",", 1)[1])
        assert VARIANT_KEY.encode() not in data and not any(name.encode() in data for name in NAMES)
        with Image.open(io.BytesIO(data)) as picture:
            assert picture.format == "JPEG" and "parameters" not in picture.info
    others = [value for tag, name, value in parser.found if name != "src"]
    assert not {str(image_id) for image_id in ids} & set(others)
    assert not any(re.search(r"\d", value) and value != on_view["token"] for value in others), others
    assert ("div", "data-pair", on_view["token"]) in parser.found


def test_a_preview_is_only_ever_a_fresh_picture(ledger: Ledger) -> None:
    fill_abtest(ledger)
    first, second = (image.id for image in abtest_images(ledger, "night test")[:2])
    with ledger.write() as conn:
        conn.execute(schema.image_thumbnails.insert().values(
            image_id=first, media_type="text/html", data=b"<script>alert(1)</script>"))
    assert blind_preview(ledger, first) is None  # not an image: nothing, rather than the row's bytes
    assert blind_preview(ledger, second) is None  # no thumbnail and no file reachable


def test_a_vote_counts_only_for_the_pair_on_view_and_only_once(sqlite_ledger: Ledger) -> None:
    fill_abtest(sqlite_ledger)
    store_previews(sqlite_ledger)
    open_test, votes = view_events(sqlite_ledger)
    _markup, on_view, _status = open_test("night test")

    def refused(answer: list[Any], reason: str) -> None:
        pair, state, status = answer
        assert isinstance(pair, dict) and isinstance(state, dict)  # updates: the pair and its state stay
        assert reason in status
        assert stored_votes(sqlite_ledger, "night test") == []

    refused(votes["left"]("night test", on_view, ""), NOT_LOADED)  # the pictures had not loaded
    refused(votes["left"]("night test", on_view, "the-previous-pair"), NOT_ON_VIEW)  # a double click
    _markup, following, status = votes["right"]("night test", on_view, on_view["token"])
    assert "Your vote: right is better" in status and following["token"] != on_view["token"]
    [stored] = stored_votes(sqlite_ledger, "night test")
    assert (stored.left_image_id, stored.right_image_id, stored.choice) == (on_view["left"], on_view["right"], "right")
    # a second event that read the same pair before the first one stored its vote (a WebUI's queue runs
    # events side by side) is refused too
    _pair, _state, status = votes["left"]("night test", on_view, on_view["token"])
    assert ALREADY_VOTED in status and len(stored_votes(sqlite_ledger, "night test")) == 1
