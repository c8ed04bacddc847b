"""Bradley–Terry strengths from blind votes: the fit recovers known strengths, its bootstrap interval
covers the truth about 95 % of the time, and the decision sentence says what the votes support."""

from __future__ import annotations

import numpy as np
import pytest

from paramlab.analysis.ab_decision import decide
from paramlab.analysis.bradley_terry import (
    Vote,
    VoteError,
    bootstrap_strengths,
    fit_log_strengths,
    pair_rates,
    win_matrix,
)


def simulated_votes(rng: np.random.Generator, names: list[str], true_logs: np.ndarray, n: int,
                    tie_rate: float = 0.0) -> list[Vote]:
    """Random pairs shown left/right at random; the judge picks by the true BT probability."""
    votes = []
    for _ in range(n):
        i, j = rng.choice(len(names), size=2, replace=False)
        p_left = 1 / (1 + np.exp(true_logs[j] - true_logs[i]))
        choice = "tie" if rng.random() < tie_rate else "left" if rng.random() < p_left else "right"
        votes.append(Vote(names[i], names[j], choice))
    return votes


def test_the_fit_recovers_the_order_of_known_strengths() -> None:
    rng = np.random.default_rng(7)
    names = ["A", "B", "C", "D"]
    truth = np.array([1.2, 0.4, -0.3, -1.3])
    votes = simulated_votes(rng, names, truth, 1500, tie_rate=0.1)
    fitted = fit_log_strengths(win_matrix(names, votes))
    assert list(np.argsort(-fitted)) == [0, 1, 2, 3]
    assert fitted == pytest.approx(truth - truth.mean(), abs=0.2)


def test_the_bootstrap_interval_covers_the_true_strength_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(2026)
    names = ["A", "B", "C"]
    truth = np.array([0.6, 0.0, -0.6])
    centred = truth - truth.mean()
    covered = total = 0
    for run in range(150):
        votes = simulated_votes(rng, names, truth, 150)
        for strength, true_value in zip(bootstrap_strengths(names, votes, resamples=200, seed=run), centred):
            covered += strength.low <= true_value <= strength.high
            total += 1
    coverage = covered / total
    assert 0.90 <= coverage <= 0.99, coverage


def test_ties_count_as_half_wins_and_skips_count_for_nothing() -> None:
    votes = [Vote("A", "B", "tie"), Vote("B", "A", "left"), Vote("A", "B", "skip")]
    wins = win_matrix(["A", "B"], votes)
    assert wins[0, 1] == 0.5 and wins[1, 0] == 1.5
    (rate,) = pair_rates(["A", "B"], votes)
    assert (rate.pairs, rate.second_share) == (2, 0.75)


def test_bad_votes_are_named() -> None:
    with pytest.raises(VoteError, match="'Z'"):
        win_matrix(["A", "B"], [Vote("A", "Z", "left")])
    with pytest.raises(VoteError, match="unknown vote"):
        win_matrix(["A", "B"], [Vote("A", "B", "both")])


def test_a_cheaper_variant_with_no_detectable_loss_is_the_better_buy() -> None:
    votes = [Vote("A", "B", "left")] * 32 + [Vote("A", "B", "right")] * 28
    decision = decide(["A", "B"], votes, {"A": 2.0, "B": 1.24})
    assert decision.decided and decision.winner == "B"
    assert decision.sentence.startswith("B costs 38 % less than A and was preferred in 47 % of 60 pairs (95 % CI")
    assert "no detectable loss; B is the better buy" in decision.sentence


def test_a_clear_loss_keeps_the_dearer_variant() -> None:
    votes = [Vote("B", "A", "right")] * 45 + [Vote("B", "A", "left")] * 15
    decision = decide(["A", "B"], votes, {"A": 2.0, "B": 1.0})
    assert decision.winner == "A" and "A is clearly preferred" in decision.sentence


def test_few_votes_say_how_many_more_pairs_are_needed() -> None:
    votes = [Vote("A", "B", "left")] * 4 + [Vote("A", "B", "right")] * 4
    decision = decide(["A", "B"], votes, {"A": 2.0, "B": 1.0})
    assert not decision.decided and decision.winner is None
    assert decision.sentence.startswith("Not enough votes") and "more pairs would separate A and B" in decision.sentence
    assert not decide(["A", "B"], [], {"A": 1.0, "B": 1.0}).decided
