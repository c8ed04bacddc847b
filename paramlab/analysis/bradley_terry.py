"""Bradley–Terry strengths from blind A/B votes, with bootstrap intervals and pairwise win rates.

A vote says which of two variants a judge preferred for the same prompt and seed; a tie counts as half a
win for each side and a skip counts for nothing. The model: P(i beats j) = s_i / (s_i + s_j). Strengths
are reported as log-strengths centred on 0, so "0" is the average variant of the test.

The fit is Hunter's MM iteration, vectorised over bootstrap resamples (one ``(B, k, k)`` win array), so
hundreds of resamples of a test cost a few milliseconds.

**The prior.** Every two variants of the test start with one virtual tie (half a win each way), in the
estimate and in every bootstrap resample alike. It keeps a variant that never won or never lost at a
finite strength, and it gives a variant with no comparisons at all (in the votes, or in a resample that
happened to draw none of its few votes) a defined strength: level with the others, the average, rather
than wherever the iteration happened to stop. So a variant with two votes gets an interval that reaches
the average, never a bound made up by the fit. Against dozens of votes per pair the prior's weight is
negligible.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

LEVEL = 0.95
Z95 = 1.959963984540054
PRIOR_WINS = 0.5
CHOICES = ("left", "right", "tie", "skip")


class VoteError(ValueError):
    """A vote names an unknown variant or choice; the message says which."""


@dataclass(frozen=True)
class Vote:
    """One judgement between two variants (their names), as the judge saw them left and right."""

    left: str
    right: str
    choice: str  # one of CHOICES


@dataclass(frozen=True)
class Strength:
    variant: str
    log_strength: float
    low: float
    high: float
    comparisons: int


@dataclass(frozen=True)
class PairRate:
    """How often ``second`` was preferred over ``first`` (ties as half), with a Wilson 95 % interval."""

    first: str
    second: str
    pairs: int
    second_share: float
    low: float
    high: float


def win_matrix(variants: Sequence[str], votes: Iterable[Vote]) -> np.ndarray:
    """``wins[i, j]``: how often variant i beat j (ties as half a win each; skips left out)."""
    index = {name: position for position, name in enumerate(variants)}
    wins = np.zeros((len(variants), len(variants)))
    for vote in votes:
        if vote.choice not in CHOICES:
            raise VoteError(f"ParamLab: unknown vote {vote.choice!r}; choose one of {', '.join(CHOICES)}.")
        if vote.choice == "skip":
            continue
        for name in (vote.left, vote.right):
            if name not in index:
                raise VoteError(f"ParamLab: a vote names the variant {name!r}, which is not in this test.")
        left, right = index[vote.left], index[vote.right]
        if left == right:
            raise VoteError(f"ParamLab: a vote compares the variant {vote.left!r} with itself.")
        if vote.choice == "left":
            wins[left, right] += 1
        elif vote.choice == "right":
            wins[right, left] += 1
        else:
            wins[left, right] += 0.5
            wins[right, left] += 0.5
    return wins


def fit_log_strengths(wins: np.ndarray, iterations: int = 200, tolerance: float = 1e-9) -> np.ndarray:
    """Centred log-strengths for a ``(k, k)`` win matrix or a ``(B, k, k)`` stack of them."""
    stacked = wins if wins.ndim == 3 else wins[None]
    every_pair = 1.0 - np.eye(stacked.shape[1])
    padded = stacked + PRIOR_WINS * every_pair  # the stated prior: one virtual tie per pair, data or not
    games = padded + np.swapaxes(padded, 1, 2)
    won = padded.sum(axis=2)
    strength = np.ones(stacked.shape[:2])
    for _ in range(iterations):
        denominator = (games / (strength[:, :, None] + strength[:, None, :])).sum(axis=2)
        updated = np.where(denominator > 0, won / np.where(denominator > 0, denominator, 1.0), strength)
        updated = updated / np.exp(np.log(np.maximum(updated, 1e-300)).mean(axis=1, keepdims=True))
        change = np.abs(updated - strength).max()
        strength = updated
        if change < tolerance:
            break
    logs = np.log(strength)
    logs -= logs.mean(axis=1, keepdims=True)
    return logs if wins.ndim == 3 else logs[0]


def bootstrap_strengths(variants: Sequence[str], votes: Sequence[Vote], resamples: int = 400,
                        seed: int = 0) -> list[Strength]:
    """Each variant's log-strength with a percentile bootstrap 95 % interval (votes resampled whole).

    Each resample is fitted with the same prior as the estimate (see the module docstring), so a resample
    that drew none of a variant's votes puts it at the average, not at an arbitrary strength."""
    counted = [vote for vote in votes if vote.choice != "skip"]
    wins = win_matrix(variants, counted)
    estimate = fit_log_strengths(wins)
    comparisons = (wins + wins.T).sum(axis=1)
    if not counted:
        return [Strength(name, 0.0, math.nan, math.nan, 0) for name in variants]
    singles = np.stack([win_matrix(variants, [vote]) for vote in counted])  # (n, k, k)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(len(counted), np.full(len(counted), 1.0 / len(counted)), size=resamples)
    resampled = np.einsum("bn,nij->bij", counts.astype(float), singles)
    fits = fit_log_strengths(resampled)
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(fits, [tail, 100 - tail], axis=0)
    return [Strength(name, float(estimate[i]), float(low[i]), float(high[i]), int(round(comparisons[i])))
            for i, name in enumerate(variants)]


def wilson_interval(share: float, n: int) -> tuple[float, float]:
    """Wilson score 95 % interval of a proportion (half wins allowed in ``share``)."""
    if n <= 0:
        return math.nan, math.nan
    centre = (share + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(share * (1 - share) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)


def pair_rates(variants: Sequence[str], votes: Iterable[Vote]) -> list[PairRate]:
    """For every pair of variants that met, how often the second (in test order) was preferred."""
    wins = win_matrix(variants, votes)
    rates = []
    for i in range(len(variants)):
        for j in range(i + 1, len(variants)):
            games = wins[i, j] + wins[j, i]
            if games <= 0:
                continue
            n = int(round(games))
            share = float(wins[j, i] / games)
            low, high = wilson_interval(share, n)
            rates.append(PairRate(variants[i], variants[j], n, share, low, high))
    return rates

