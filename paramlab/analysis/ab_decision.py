"""The decision of an A/B test: which variant to use in production, in one sentence a person can act on.

Quality is what the judges preferred (Bradley–Terry strengths and pairwise win rates, see
:mod:`paramlab.analysis.bradley_terry`); cost is seconds per image from the ledger. The sentence weighs
the cheapest variant against the judges' favourite, on the pair's win rate and its Wilson 95 % interval:

* the interval above 50 %: the cheaper variant is better;
* the interval below 50 %: the dearer one is clearly preferred;
* otherwise "no detectable loss" only when the interval's lower bound is at least the margin
  (:data:`NO_LOSS_MARGIN`, 45 %: the cheaper variant wins at least 45 % of the pairs, so judges prefer
  the dearer one at most 55:45); this is a non-inferiority test at 97.5 % one-sided confidence;
* otherwise the test cannot tell yet, and the sentence says how many more pairs would settle it if the
  share stayed where it is.
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
    wilson_interval,
)

# The least share of pairs the cheaper variant must win (the interval's lower bound) for "no detectable
# loss": below it, the judges may prefer the dearer variant by more than 55:45.
NO_LOSS_MARGIN = 0.45
MOST_PAIRS_ESTIMATED = 100_000  # beyond this, "more pairs" is no honest advice
# Below this many pairs the share itself is too rough (±20 % or more) to project how many pairs are needed.
FEWEST_PAIRS_TO_PROJECT = 20
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


def _settled(share: float, pairs: int) -> bool:
    """Whether ``pairs`` pairs at ``share`` give an interval that decides: above the margin, or below 50 %."""
    low, high = wilson_interval(share, pairs)
    return low >= NO_LOSS_MARGIN or high < 0.5


def pairs_to_settle(share: float, pairs: int) -> int | None:
    """About how many more pairs would decide the test if the cheaper variant kept winning ``share`` of
    them: its interval's lower bound reaching the margin, or its upper bound dropping below 50 %.
    None when even :data:`MOST_PAIRS_ESTIMATED` pairs would not (the share sits on the margin)."""
    if not _settled(share, MOST_PAIRS_ESTIMATED):
        return None
    low, high = pairs, MOST_PAIRS_ESTIMATED  # the interval narrows as pairs grow: search the first that decides
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if _settled(share, middle) else (middle, high)
    return max(high - pairs, 1)


def _cannot_tell(cheap: str, dear: str, share: float, pairs: int, cost_text: str, evidence: str) -> str:
    more = pairs_to_settle(share, pairs) if pairs >= FEWEST_PAIRS_TO_PROJECT else None
    if pairs < FEWEST_PAIRS_TO_PROJECT:
        advice = (f"{pairs} pairs are too few to project how many are needed; judge at least "
                  f"{FEWEST_PAIRS_TO_PROJECT - pairs} more, then look again")
    elif more is None:
        advice = f"at a share of {_pct(share)}, more pairs are unlikely to settle it"
    else:
        advice = f"if the share stays near {_pct(share)}, about {more} more pair{'s' * (more != 1)} would settle it"
    return (f"The test cannot tell yet whether {cheap} is as good as {dear}: {cost_text} and {evidence}, "
            f"and the interval reaches below the {_pct(NO_LOSS_MARGIN)} margin for no detectable loss; "
            f"{advice}.")


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
    elif low >= NO_LOSS_MARGIN:
        winner = cheap
        tail = (f"{cheap} is the better buy" if saving is not None and saving >= SAME_COST
                else f"either will do; {cheap} is kept")
        sentence = (f"{cost_text} and {evidence}: no detectable loss (the interval stays above the "
                    f"{_pct(NO_LOSS_MARGIN)} margin); {tail}.")
    else:
        sentence = _cannot_tell(cheap, dear, share, pairs, cost_text, evidence)
        return Decision(strengths, rates, sentence, None, False)
    return Decision(strengths, rates, sentence, winner, True)
