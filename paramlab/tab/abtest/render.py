"""HTML of the A/B tests section: the pair on view, what the last vote revealed, and the decision. Every
value is escaped.

Before the vote nothing in the pair's markup leads to a variant: no name, no image id, no link or route
(an id opens the detail view, which names the variant); the pictures are inline ``data:`` URLs (see
:mod:`paramlab.tab.abtest.previews`) and the pair is marked only by a random token, which the page sends
back with the vote to show that this pair was on view."""

from __future__ import annotations

import math

from paramlab.abtest.outcome import Outcome
from paramlab.ledger.reads.abtest import ABImage
from paramlab.tab.ledger_view.render import esc
from paramlab.tab.status_html import status_html

VIEW_CSS = """
#paramlab-ab-pair .paramlab-ab-images { display: flex; gap: 12px; }
#paramlab-ab-pair figure { margin: 0; flex: 1; text-align: center; }
#paramlab-ab-pair img { width: 100%; max-width: 384px; image-rendering: auto; border: 1px solid #8884; }
#paramlab-ab-pair .paramlab-ab-missing { padding: 48px 8px; border: 1px dashed #8888; }
#paramlab-ab-decision table { border-collapse: collapse; font-size: 0.9em; }
#paramlab-ab-decision th, #paramlab-ab-decision td { padding: 2px 6px; border-bottom: 1px solid #8884; }
#paramlab-ab-decision .paramlab-ab-sentence { font-weight: bold; margin: 6px 0; }
"""
CHOICE_WORDS = {"left": "left is better", "right": "right is better", "tie": "a tie", "skip": "skipped"}


def _picture(side: str, preview: str | None) -> str:
    if preview is None:
        return "<div class='paramlab-ab-missing'>No preview of this image is reachable from here.</div>"
    return f'<img alt="{side} image" src="{esc(preview)}">'


def pair_html(prompt: str, seed: int, previews: tuple[str | None, str | None], token: str, done: int,
              total: int) -> str:
    """Two images of one prompt and seed, as inline pictures (``previews``: left, right ``data:`` URLs);
    only their place is shown, never their variant, id or a link. ``token`` marks this pair on the page."""
    figures = "".join(
        f'<figure data-side="{side}">{_picture(side, preview)}<figcaption>{side.capitalize()}</figcaption></figure>'
        for side, preview in zip(("left", "right"), previews))
    return (f"<div class='paramlab-ab-images' data-pair=\"{esc(token)}\">{figures}</div>"
            f"<div>Prompt: {esc(prompt)} · seed {esc(seed)} · pair {done + 1} of {total} for you. "
            f"Keys: ← left, → right, = tie, s skip.</div>")


def reveal_html(left: ABImage, right: ABImage, choice: str) -> str:
    """After the vote: which variant was where."""
    return status_html(f"Your vote: {CHOICE_WORDS.get(choice, choice)}. Left was {left.variant}, "
                       f"right was {right.variant}.", "note")


def _pct(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{value * 100:.0f} %"


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def decision_html(result: Outcome) -> str:
    """Strengths with intervals, win rates per pair, automatic figures and cost, then the sentence."""
    figures = {figure.variant: figure for figure in result.figures}
    head = ("<tr><th>variant</th><th>Bradley–Terry strength (log)</th><th>95 % CI</th><th>comparisons</th>"
            "<th>s/image</th><th>composite v1</th><th>flawed</th><th>images</th></tr>")
    rows = []
    for strength in sorted(result.decision.strengths, key=lambda s: -s.log_strength):
        figure = figures.get(strength.variant)
        rows.append(
            f"<tr><td>{esc(strength.variant)}</td><td>{_num(strength.log_strength)}</td>"
            f"<td>{_num(strength.low)} – {_num(strength.high)}</td><td>{strength.comparisons}</td>"
            f"<td>{_num(figure.cost_per_image if figure else None)}</td>"
            f"<td>{_num(figure.composite if figure else None, 3)}</td>"
            f"<td>{_pct(figure.flawed_share if figure else None)}</td><td>{figure.images if figure else 0}</td></tr>")
    rates = "".join(
        f"<tr><td>{esc(rate.second)} over {esc(rate.first)}</td><td>{_pct(rate.second_share)}</td>"
        f"<td>{_pct(rate.low)} – {_pct(rate.high)}</td><td>{rate.pairs}</td></tr>"
        for rate in result.decision.rates)
    rates_table = (f"<h4>Win rates per pair (ties as half)</h4><table><tr><th>preferred</th><th>share</th>"
                   f"<th>95 % CI</th><th>pairs</th></tr>{rates}</table>") if rates else ""
    return (f"<div class='paramlab-ab-sentence'>{esc(result.decision.sentence)}</div>"
            f"<div>{result.votes} votes (skips not counted) in the test {esc(result.name)}.</div>"
            f"<table>{head}{''.join(rows)}</table>{rates_table}"
            "<div>Composite v1 is a technical-quality proxy, not an aesthetic score; the judges decide.</div>")
