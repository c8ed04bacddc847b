"""The decision of an A/B test: which variant to use in production, in one sentence a person can act on.

Quality is what the judges preferred (Bradley–Terry strengths and pairwise win rates, see
:mod:`paramlab.analysis.bradley_terry`); cost is seconds per image from the ledger. The sentence weighs
the cheapest variant against the judges' favourite: a cheaper variant with no detectable loss is the
better buy; a loss or a gain is named with its interval; too few votes say how many more are needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from paramlab.analysis.bradley_terry import (
    PairRate,
    Strength,
    Vote,
    bootstrap_strengths,
    pair_rates,
    pairs_to_separate,
)

# An interval narrower than ±this around an even split means "no detectable difference" rather than
# "not enough votes" (60 pairs at 47 % give about ±12 %).
DECIDED_HALF_WIDTH = 0.13
SAME_COST = 0.05  # costs within 5 % of each other are "about the same"


@dataclass(frozen=True)
class Decision:
    strengths: list[Strength]
    rates: list[PairRate]
    sentence: str
    winner: str | None  # None while the votes do not separate the variants
    decided: bool


def _pct(value: float) -> str:
    return f"{round(value * 100):.0f} %"


def _rate_between(rates: Sequence[PairRate], first: str, second: str) -> tuple[int, float, float, float] | None:
    """(pairs, share preferring ``second``, low, high) for the pair in either order."""
    for rate in rates:
        if (rate.first, rate.second) == (first, second):
            return rate.pairs, rate.second_share, rate.low, rate.high
        if (rate.first, rate.second) == (second, first):
            return rate.pairs, 1 - rate.second_share, 1 - rate.high, 1 - rate.low
    return None


def _cost_phrase(cheap: str, dear: str, costs: Mapping[str, float | None]) -> tuple[str, float | None]:
    cheap_cost, dear_cost = costs.get(cheap), costs.get(dear)
    if cheap_cost is None or dear_cost is None or not dear_cost or math.isnan(cheap_cost) or math.isnan(dear_cost):
        return f"{cheap} (cost unknown)", None
    saving = 1 - cheap_cost / dear_cost
    if saving < SAME_COST:
        return f"{cheap} costs about the same as {dear}", saving
    return f"{cheap} costs {_pct(saving)} less than {dear}", saving


def decide(variants: Sequence[str], votes: Sequence[Vote], costs: Mapping[str, float | None],
           resamples: int = 400, seed: int = 0) -> Decision:
    """Strengths, win rates and the sentence. ``costs``: seconds per image by variant (None: unknown)."""
    strengths = bootstrap_strengths(variants, votes, resamples=resamples, seed=seed)
    rates = pair_rates(variants, votes)
    if len(variants) < 2:
        return Decision(strengths, rates, "An A/B test needs at least two variants.", None, False)
    favourite = max(strengths, key=lambda s: s.log_strength).variant
    known = {name: cost for name, cost in costs.items() if cost is not None and not math.isnan(cost)}
    cheapest = min(variants, key=lambda name: known.get(name, math.inf)) if known else favourite
    if cheapest == favourite:
        others = sorted((s for s in strengths if s.variant != favourite), key=lambda s: -s.log_strength)
        cheap, dear = favourite, others[0].variant
    else:
        cheap, dear = cheapest, favourite
    met = _rate_between(rates, dear, cheap)
    if met is None:
        return Decision(strengths, rates, f"No votes yet between {cheap} and {dear}: judge some pairs first.",
                        None, False)
    pairs, share, low, high = met  # share: how often ``cheap`` was preferred over ``dear``
    cost_text, saving = _cost_phrase(cheap, dear, costs)
    evidence = f"was preferred in {_pct(share)} of {pairs} pairs (95 % CI {_pct(low)[:-2]}–{_pct(high)})"
    if low > 0.5:
        winner = cheap
        verdict = f"{cheap} is better" + (" and cheaper" if saving and saving >= SAME_COST else "")
        sentence = f"{cost_text} and {evidence}: {verdict}; {cheap} is the better buy."
    elif high < 0.5:
        winner = dear
        trade = f", although {cheap} saves {_pct(saving)}" if saving and saving >= SAME_COST else ""
        sentence = (f"{cost_text} but {evidence}: {dear} is clearly preferred{trade}; "
                    f"{dear} is the better choice when quality matters.")
    elif (high - low) / 2 <= DECIDED_HALF_WIDTH:
        winner = cheap
        tail = (f"{cheap} is the better buy" if saving is not None and saving >= SAME_COST
                else f"either will do; {cheap} is kept")
        sentence = f"{cost_text} and {evidence}: no detectable loss; {tail}."
    else:
        more = pairs_to_separate(share, pairs, DECIDED_HALF_WIDTH)
        sentence = (f"Not enough votes: {cheap} {evidence.replace('preferred', f'preferred over {dear}', 1)}; "
                    f"about {more} more pairs would separate {dear} and {cheap}.")
        return Decision(strengths, rates, sentence, None, False)
    return Decision(strengths, rates, sentence, winner, True)
