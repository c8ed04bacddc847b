"""The A/B tests section of the ParamLab tab: blind judging of an A/B test's pairs, then its decision.

The pair on view lives only on the server (a ``gr.State``): the page gets two inline pictures, the prompt
and a random token, never which variant is where or an image id, until the judge has voted. A vote counts
only when it carries the token of the pair on view, which the page hands over once both pictures have
loaded (``abtest_vote.js``): a double click or a key press that lands while the next pair is on its way is
not counted for a pair the judge never saw. Votes go through gradio's own events (no route of ParamLab's)
and :meth:`Ledger.write`, so a viewer of a shared ledger is refused with its reason. The judge is the
logged-in user (see :mod:`paramlab.web.actors`); without a login, votes are unnamed.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from paramlab.abtest.outcome import outcome, save_winner
from paramlab.abtest.pairs import next_pair, progress
from paramlab.gradio_compat import current_blocks, js_kwargs, update
from paramlab.ledger import Ledger, LedgerError
from paramlab.ledger.actor import current as current_actor
from paramlab.ledger.edits.abtest import JudgingError, record_vote
from paramlab.ledger.reads.abtest import abtest_images, abtest_names, stored_votes
from paramlab.profiles import ProfileError
from paramlab.tab.abtest.previews import blind_preview
from paramlab.tab.abtest.render import VIEW_CSS, decision_html, pair_html, reveal_html
from paramlab.tab.image_links import _function_source
from paramlab.tab.status_html import status_html

KEYS_JS = _function_source(Path(__file__).with_name("abtest_keys.js"))
VOTE_JS = _function_source(Path(__file__).with_name("abtest_vote.js"))
NOT_LOADED = "Not counted: this pair was not on view yet (its pictures were still loading). Vote once you see both."
NOT_ON_VIEW = ("Not counted: that vote was sent for the previous pair, before this one was on view "
               "(a second click or key press). Judge this pair now.")
ALREADY_VOTED = "Not counted: this pair already has your vote (a second click or key press)."
PICK_TEST = "<div>Choose an A/B test above (run one with the script “ParamLab A/B test” in txt2img).</div>"
__all__ = ["VIEW_CSS", "ABTestViewComponents", "build_abtest_view"]


@dataclass
class ABTestViewComponents:
    refresh: Callable[..., list[Any]]
    outputs: list[Any]
    inputs: list[Any] = field(default_factory=list)


class SpentTokens:
    """Tokens of pairs already voted on: two votes racing for one pair (events that a WebUI's queue runs side
    by side both read the pair before either stored its vote) count once. Bounded, thread-safe."""

    def __init__(self, size: int = 10_000):
        self.size = size
        self._tokens: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, token: str) -> bool:
        """True for the first claim of ``token``, False for every later one (until it is released)."""
        with self._lock:
            if token in self._tokens:
                return False
            self._tokens[token] = None
            while len(self._tokens) > self.size:
                self._tokens.popitem(last=False)
            return True

    def release(self, token: str) -> None:
        """The vote was not stored after all: the token may vote again."""
        with self._lock:
            self._tokens.pop(token, None)


def _failure(exc: Exception) -> str:
    return status_html(f"A/B tests unavailable: {exc}", "error")


def build_abtest_view(ledger_provider: Callable[[], Ledger]) -> ABTestViewComponents:
    """The judging area and the decision, built into the open Blocks."""
    with gr.Column(elem_id="paramlab-ab-view"):
        with gr.Row():
            test = gr.Dropdown(label="A/B test", choices=[], value=None, elem_id="paramlab-ab-test")
            refresh_button = gr.Button("Refresh", elem_id="paramlab-ab-refresh", scale=0, min_width=100)
        pair = gr.HTML(PICK_TEST, elem_id="paramlab-ab-pair")
        with gr.Row():
            buttons = {choice: gr.Button(label, elem_id=f"paramlab-ab-{choice}") for choice, label in (
                ("left", "← Left is better"), ("tie", "= Tie"), ("right", "Right is better →"), ("skip", "Skip (s)"))}
        status = gr.HTML("", elem_id="paramlab-ab-status")
        shown = gr.State(None)  # {"test", "left", "right", "token", "reveal"}: kept on the server only
        seen = gr.Textbox("", visible=False, elem_id="paramlab-ab-seen")  # filled in by VOTE_JS at each vote
        decide_button = gr.Button("Show the decision (reveals the variants)", elem_id="paramlab-ab-decide")
        decision = gr.HTML("", elem_id="paramlab-ab-decision")
        with gr.Row():
            profile_name = gr.Textbox(label="Name of the new profile", max_lines=1, elem_id="paramlab-ab-profile-name")
            save_button = gr.Button("Save the winner as a profile", elem_id="paramlab-ab-save", scale=0)
        saved = gr.HTML("", elem_id="paramlab-ab-saved")

    spent = SpentTokens()

    def show_next(name: str | None, note: str = "") -> list[Any]:
        if not name:
            return [PICK_TEST, None, note]
        ledger = ledger_provider()
        images = abtest_images(ledger, name)
        votes = stored_votes(ledger, name)
        judge = current_actor().name
        chosen = next_pair(images, votes, judge)
        done, total = progress(images, votes, judge)
        if chosen is None:
            ending = (f"You have judged all {total} pairs of this test." if total
                      else "This test has no complete pair yet.")
            return [status_html(f"{ending} Show the decision below.", "note"), None, note]
        token = secrets.token_urlsafe(12)
        previews = (blind_preview(ledger, chosen.left.id), blind_preview(ledger, chosen.right.id))
        return [pair_html(chosen.left.prompt, chosen.left.seed, previews, token, done, total),
                {"test": name, "left": chosen.left.id, "right": chosen.right.id, "token": token, "reveal": note},
                note]

    def open_test(name: str | None) -> list[Any]:
        try:
            return show_next(name)
        except LedgerError as exc:
            return [_failure(exc), None, ""]

    def refused(on_view: dict[str, Any], reason: str) -> list[Any]:
        """The pair and what the last vote revealed stay; the reason follows."""
        return [update(), update(), on_view.get("reveal", "") + status_html(reason, "error")]

    def vote(choice: str) -> Callable[..., list[Any]]:
        def cast(name: str | None, on_view: dict[str, Any] | None, seen_token: str | None) -> list[Any]:
            if not on_view or on_view.get("test") != name:
                return open_test(name)
            token = on_view.get("token")
            if not token or seen_token != token:
                return refused(on_view, NOT_ON_VIEW if seen_token else NOT_LOADED)
            if not spent.claim(token):
                return refused(on_view, ALREADY_VOTED)
            try:
                ledger = ledger_provider()
                images = {image.id: image for image in abtest_images(ledger, name)}
                left, right = images.get(on_view["left"]), images.get(on_view["right"])
                if left is None or right is None:
                    return show_next(name, status_html("That pair is no longer in the ledger.", "error"))
                try:
                    record_vote(ledger, name, left, right, choice, current_actor().name)
                except Exception:
                    spent.release(token)
                    raise
                return show_next(name, reveal_html(left, right, choice))
            except (JudgingError, LedgerError) as exc:
                return [update(), on_view, status_html(str(exc), "error")]
        return cast

    def show_decision(name: str | None) -> list[Any]:
        if not name:
            return [PICK_TEST, update()]
        try:
            result = outcome(ledger_provider(), name)
        except LedgerError as exc:
            return [_failure(exc), update()]
        winner = result.decision.winner
        return [decision_html(result), update(value=f"{winner} ({name})"[:100] if winner else "")]

    def save(name: str | None, new_profile: str | None) -> str:
        if not name:
            return status_html("Choose an A/B test first.", "error")
        try:
            ledger = ledger_provider()
            profile = save_winner(ledger, outcome(ledger, name), (new_profile or "").strip())
        except (ProfileError, LedgerError) as exc:
            return status_html(str(exc), "error")
        return status_html(f"Saved the profile {profile.name!r}: {profile.description}", "note")

    def refresh(current: str | None = None) -> list[Any]:
        try:
            names = abtest_names(ledger_provider())
        except LedgerError as exc:
            return [update(), _failure(exc)]
        value = current if current in names else (names[0] if names else None)
        return [update(choices=names, value=value), update()]

    test.change(open_test, inputs=[test], outputs=[pair, shown, status])
    for choice, button in buttons.items():
        button.click(vote(choice), inputs=[test, shown, seen], outputs=[pair, shown, status], **js_kwargs(VOTE_JS))
    decide_button.click(show_decision, inputs=[test], outputs=[decision, profile_name])
    save_button.click(save, inputs=[test, profile_name], outputs=[saved])
    refresh_button.click(refresh, inputs=[test], outputs=[test, pair])
    blocks = current_blocks()
    if blocks is not None:
        blocks.load(None, inputs=None, outputs=None, **js_kwargs(KEYS_JS))
    return ABTestViewComponents(refresh, [test, pair], [test])
