"""An A/B test's outcome from the ledger: the decision (votes and cost), the automatic figures beside it, and
the winner saved as a profile with the evidence in its description."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from paramlab.abtest.spec import SCRIPT_TITLE, ABTestArgs, ABTestError, parse_abtest_args
from paramlab.analysis.ab_decision import Decision, decide
from paramlab.analysis.bradley_terry import Vote
from paramlab.analysis.frame import composite_quality
from paramlab.analysis.load import DEFAULT_STATUS, load_frame
from paramlab.ledger import Ledger
from paramlab.ledger.filters import ImageFilter
from paramlab.ledger.reads.abtest import abtest_images, newest_script_args, stored_votes
from paramlab.profiles import Profile, ProfileError
from paramlab.profiles.store import ProfileStore


@dataclass(frozen=True)
class VariantFigures:
    """What the ledger measured for one variant, beside the judges' verdict."""

    variant: str
    images: int
    cost_per_image: float | None
    composite: float | None  # composite v1 mean (technical quality proxy, 0..1)
    flawed_share: float | None  # share of images with at least one diagnosed flaw


@dataclass(frozen=True)
class Outcome:
    name: str
    variants: list[str]
    figures: list[VariantFigures]
    decision: Decision
    votes: int


def _mean(values: list[float]) -> float | None:
    finite = [value for value in values if value is not None and not math.isnan(value)]
    return sum(finite) / len(finite) if finite else None


def definition_of(ledger: Ledger, name: str) -> ABTestArgs | None:
    """The test as its newest run defined it (kept in its job's ``script_args``)."""
    data = newest_script_args(ledger, SCRIPT_TITLE, name)
    if data is None:
        return None
    try:
        return parse_abtest_args({**data, "confirm": True})
    except ABTestError:
        return None


def outcome(ledger: Ledger, name: str, resamples: int = 400) -> Outcome:
    images = abtest_images(ledger, name)
    definition = definition_of(ledger, name)
    variants = definition.variant_names() if definition else []
    variants += sorted({image.variant for image in images} - set(variants))
    by_variant: dict[str, list[Any]] = defaultdict(list)
    for image in images:
        by_variant[image.variant].append(image)
    composite: dict[int, float] = {}
    if images:
        frame = load_frame(ledger, ImageFilter(ids=tuple(image.id for image in images), status=DEFAULT_STATUS))
        composite = dict(zip(frame["id"].astype(int), composite_quality(frame)))
    figures = []
    for variant in variants:
        own = by_variant.get(variant, [])
        flawed = [bool(json.loads(image.flaws or "[]")) for image in own if image.flaws is not None]
        figures.append(VariantFigures(
            variant, len(own), _mean([image.cost_seconds for image in own]),
            _mean([composite.get(image.id, math.nan) for image in own]),
            (sum(flawed) / len(flawed)) if flawed else None))
    votes = [Vote(vote.left_variant, vote.right_variant, vote.choice) for vote in stored_votes(ledger, name)]
    votes = [vote for vote in votes if vote.left in variants and vote.right in variants]
    costs = {figure.variant: figure.cost_per_image for figure in figures}
    decision = decide(variants, votes, costs, resamples=resamples)
    return Outcome(name, variants, figures, decision, sum(vote.choice != "skip" for vote in votes))


def save_winner(ledger: Ledger, result: Outcome, profile_name: str) -> Profile:
    """Store the winning variant's settings as a new profile whose description says why it won."""
    winner = result.decision.winner
    if winner is None:
        raise ProfileError("ParamLab: the votes do not name a winner yet, so there is nothing to save.")
    definition = definition_of(ledger, result.name)
    variant = next((v for v in definition.variants if v.name == winner), None) if definition else None
    if variant is None:
        raise ProfileError(f"ParamLab: the definition of variant {winner!r} is not in the ledger; "
                           f"run the test again to record it.")
    store = ProfileStore(ledger)
    settings = store.get(variant.profile).settings if variant.profile else dict(variant.settings or {})
    evidence = (f"Winner of the blind A/B test {result.name!r} ({result.votes} votes): "
                f"{result.decision.sentence}")
    return store.create(Profile(name=profile_name, description=evidence[:2000], settings=settings))
