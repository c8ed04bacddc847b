"""An A/B test's outcome from the ledger: the decision with cost per image and the automatic figures, and
the winner saved as a profile whose description holds the evidence."""

from __future__ import annotations

import pytest
from abtest_ledger import fill_abtest, record_definition

from paramlab.abtest.outcome import outcome, save_winner
from paramlab.abtest.pairs import all_pairs
from paramlab.ledger import Ledger
from paramlab.ledger.edits.abtest import record_vote
from paramlab.ledger.reads.abtest import abtest_images
from paramlab.profiles import ProfileError
from paramlab.profiles.store import ProfileStore


def vote_all(ledger: Ledger, prefer: str, judges: int) -> None:
    """Every pair judged by ``judges`` judges, each preferring ``prefer`` on most pairs."""
    pairs = all_pairs(abtest_images(ledger, "night test"))
    for judge in range(judges):
        for number, (first, second) in enumerate(pairs):
            winner = first if first.variant == prefer else second
            left, right = (first, second) if (number + judge) % 2 else (second, first)
            choice = "tie" if (number + judge) % 3 == 0 else ("left" if left is winner else "right")
            record_vote(ledger, "night test", left, right, choice, f"judge {judge}")


def test_the_outcome_names_the_winner_with_cost_and_saves_it(ledger: Ledger) -> None:
    fill_abtest(ledger, seeds=tuple(range(1, 11)))
    record_definition(ledger, seeds=tuple(range(1, 11)))
    vote_all(ledger, "Careful", judges=3)
    result = outcome(ledger, "night test", resamples=100)
    assert result.variants == ["Fast draft", "Careful"] and result.votes == 60
    figures = {figure.variant: figure for figure in result.figures}
    assert figures["Fast draft"].cost_per_image == pytest.approx(1.24) and figures["Careful"].images == 20
    assert result.decision.winner == "Careful" and "Careful is clearly preferred" in result.decision.sentence
    strengths = {s.variant: s for s in result.decision.strengths}
    assert strengths["Careful"].log_strength > 0 > strengths["Fast draft"].log_strength
    saved = save_winner(ledger, result, "Production look")
    assert saved.settings == {"Steps": 30}
    assert "blind A/B test 'night test'" in saved.description and "60 votes" in saved.description
    assert ProfileStore(ledger).get("Production look").settings == {"Steps": 30}


def test_no_winner_no_profile(ledger: Ledger) -> None:
    fill_abtest(ledger)
    record_definition(ledger)
    result = outcome(ledger, "night test", resamples=50)
    assert result.decision.winner is None and result.votes == 0
    with pytest.raises(ProfileError, match="do not name a winner"):
        save_winner(ledger, result, "Nothing")
