"""Bradley–Terry strengths from blind votes: the fit recovers known strengths, its bootstrap interval
covers the truth about 95 % of the time, and the decision sentence says what the votes support."""

from __future__ import annotations

import numpy as np
import pytest

from paramlab.analysis.ab_decision import NO_LOSS_MARGIN, decide, pairs_to_settle
from paramlab.analysis.bradley_terry import (
    Vote,
    VoteError,
    bootstrap_strengths,
    fit_log_strengths,
    pair_rates,
    wilson_interval,
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


def test_a_variant_without_votes_sits_at_the_average_not_where_the_fit_stopped() -> None:
    # A beat B 59:1 and C was never compared: the stated prior (one virtual tie per pair) puts C level with
    # the geometric mean of A and B, i.e. at 0, the average; the old fit left it at 0.78, above B by far.
    fitted = fit_log_strengths(np.array([[0.0, 59, 0], [1, 0, 0], [0, 0, 0]]))
    assert fitted[2] == pytest.approx(0.0, abs=1e-6)
    assert fitted[0] == pytest.approx(-fitted[1], abs=1e-6)


def test_two_votes_cannot_place_a_variant_surely_above_or_below_the_average() -> None:
    # A beat B 57:3; C has only two votes. Resamples that drew neither of them put C at the prior's
    # average, so its interval reaches 0 from either side instead of ending at an arbitrary strength.
    clear = [Vote("A", "B", "left")] * 57 + [Vote("A", "B", "right")] * 3
    lost = {s.variant: s for s in bootstrap_strengths(["A", "B", "C"], clear + [Vote("C", "B", "right")] * 2,
                                                      resamples=400, seed=0)}
    assert lost["C"].comparisons == 2 and lost["C"].log_strength < lost["B"].log_strength
    assert lost["C"].low < lost["C"].log_strength < lost["C"].high <= 1e-6  # was 0.79: above the average
    won = {s.variant: s for s in bootstrap_strengths(["A", "B", "C"], clear + [Vote("C", "A", "left")] * 2,
                                                     resamples=400, seed=0)}
    assert -1e-6 <= won["C"].low < won["C"].log_strength < won["C"].high  # was 0.38: "surely better"
    for strength in (*lost.values(), *won.values()):
        assert strength.low <= strength.log_strength <= strength.high


def test_an_interval_reaching_35_percent_cannot_tell_yet_and_says_how_many_more_pairs() -> None:
    votes = [Vote("A", "B", "left")] * 32 + [Vote("A", "B", "right")] * 28  # B wins 47 %: 95 % CI 35–59 %
    decision = decide(["A", "B"], votes, {"A": 2.0, "B": 1.24})
    assert not decision.decided and decision.winner is None
    assert decision.sentence.startswith("The test cannot tell yet whether B is as good as A: B costs 38 % less "
                                        "than A and was preferred in 47 % of 60 pairs (95 % CI 35–59 %)")
    assert "no detectable loss" not in decision.sentence.replace("margin for no detectable loss", "")
    assert "below the 45 % margin" in decision.sentence
    more = pairs_to_settle(28 / 60, 60)
    assert more is not None and f"about {more} more pairs would settle it" in decision.sentence


def test_the_estimate_of_more_pairs_is_what_settles_the_test_at_the_same_share() -> None:
    def settles(share: float, pairs: int) -> bool:
        low, high = wilson_interval(share, pairs)
        return low >= NO_LOSS_MARGIN or high < 0.5

    for share, pairs in ((0.47, 60), (0.5, 100), (0.44, 40), (0.55, 30), (0.35, 20)):
        more = pairs_to_settle(share, pairs)
        assert more is not None and not settles(share, pairs)
        assert settles(share, pairs + more) and (more == 1 or not settles(share, pairs + more - 1)), (share, more)
    assert pairs_to_settle(0.4745, 100) is not None and pairs_to_settle(0.4745, 100) > 1000


def test_a_cheaper_variant_is_the_better_buy_only_when_its_interval_clears_the_margin() -> None:
    votes = [Vote("A", "B", "left")] * 200 + [Vote("A", "B", "right")] * 200
    decision = decide(["A", "B"], votes, {"A": 2.0, "B": 1.24}, resamples=50)
    assert decision.decided and decision.winner == "B"
    assert decision.sentence == ("B costs 38 % less than A and was preferred in 50 % of 400 pairs (95 % CI "
                                 "45–55 %): no detectable loss (the interval stays above the 45 % margin); "
                                 "B is the better buy.")
    closer = [Vote("A", "B", "left")] * 210 + [Vote("A", "B", "right")] * 190  # 48 %: CI 43–52 %
    assert not decide(["A", "B"], closer, {"A": 2.0, "B": 1.24}, resamples=50).decided


def test_a_clear_loss_keeps_the_dearer_variant() -> None:
    votes = [Vote("B", "A", "right")] * 45 + [Vote("B", "A", "left")] * 15
    decision = decide(["A", "B"], votes, {"A": 2.0, "B": 1.0})
    assert decision.winner == "A" and "A is clearly preferred" in decision.sentence


def test_few_votes_say_how_many_more_pairs_are_needed() -> None:
    votes = [Vote("A", "B", "left")] * 4 + [Vote("A", "B", "right")] * 4
    decision = decide(["A", "B"], votes, {"A": 2.0, "B": 1.0})
    assert not decision.decided and decision.winner is None
    assert decision.sentence.startswith("The test cannot tell yet whether B is as good as A")
    assert decision.sentence.endswith("8 pairs are too few to project how many are needed; judge at least 12 more, "
                                      "then look again.")
    assert not decide(["A", "B"], [], {"A": 1.0, "B": 1.0}).decided
