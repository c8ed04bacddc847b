"""Votes of a blind A/B test in the ledger (SQLite and PostgreSQL): stored with who, when and the order shown;
each judge gets every pair once, judges spread over the pairs, and a viewer is refused with a clear message."""

from __future__ import annotations

import random

import pytest
from abtest_ledger import fill_abtest

from paramlab.abtest.pairs import all_pairs, next_pair, progress
from paramlab.ledger import Ledger
from paramlab.ledger.actor import Actor, acting_as
from paramlab.ledger.edits.abtest import JudgingError, record_vote
from paramlab.ledger.reads.abtest import abtest_images, abtest_names, stored_votes
from paramlab.ledger.store import LedgerReadOnly


def test_votes_are_stored_with_judge_order_and_time(ledger: Ledger) -> None:
    fill_abtest(ledger)
    fill_abtest(ledger, name="other test", prompts=("a cat",), seeds=(1,))
    images = abtest_images(ledger, "night test")
    assert len(images) == 12 and abtest_names(ledger) == ["other test", "night test"]
    left, right = all_pairs(images)[0]
    record_vote(ledger, "night test", right, left, "left", "alice")
    record_vote(ledger, "night test", left, right, "tie", None)
    [first, second] = stored_votes(ledger, "night test")
    assert (first.left_variant, first.right_variant, first.choice, first.judge) == (
        right.variant, left.variant, "left", "alice")
    assert (first.left_image_id, first.right_image_id) == (right.id, left.id)
    assert second.judge is None and second.voted_at >= first.voted_at
    assert stored_votes(ledger, "other test") == []


def test_a_vote_must_compare_two_variants_of_one_prompt_and_seed(ledger: Ledger) -> None:
    fill_abtest(ledger)
    images = abtest_images(ledger, "night test")
    other_seed = next(image for image in images if image.seed != images[0].seed)
    with pytest.raises(JudgingError, match="same prompt and seed"):
        record_vote(ledger, "night test", images[0], other_seed, "left", "bob")
    with pytest.raises(JudgingError, match="unknown vote"):
        record_vote(ledger, "night test", *all_pairs(images)[0], "maybe", "bob")


def test_a_viewer_may_not_vote(ledger: Ledger) -> None:
    fill_abtest(ledger)
    pair = all_pairs(abtest_images(ledger, "night test"))[0]
    viewer = Actor(name="carol", may_write=False, read_only_reason="ParamLab: carol may only view this ledger.")
    with acting_as(viewer), pytest.raises(LedgerReadOnly, match="carol may only view"):
        record_vote(ledger, "night test", *pair, "left", "carol")
    assert stored_votes(ledger, "night test") == []


def test_each_judge_sees_every_pair_once_left_and_right_at_random(ledger: Ledger) -> None:
    fill_abtest(ledger)
    images = abtest_images(ledger, "night test")
    rng = random.Random(3)
    seen, lefts = [], set()
    while (pair := next_pair(images, stored_votes(ledger, "night test"), "alice", rng)) is not None:
        assert (pair.left.prompt, pair.left.seed) == (pair.right.prompt, pair.right.seed)
        assert pair.left.variant != pair.right.variant
        seen.append(pair.key)
        lefts.add(pair.left.variant)
        record_vote(ledger, "night test", pair.left, pair.right, "skip" if len(seen) == 1 else "left", "alice")
    assert len(seen) == len(set(seen)) == 6 and lefts == {"Fast draft", "Careful"}
    assert progress(images, stored_votes(ledger, "night test"), "alice") == (6, 6)
    # Bob starts on a pair alice judged (all are), and gets all six too.
    assert next_pair(images, stored_votes(ledger, "night test"), "bob", rng) is not None
    assert progress(images, stored_votes(ledger, "night test"), "bob") == (0, 6)


def test_judges_spread_over_the_pairs_with_fewest_votes(ledger: Ledger) -> None:
    fill_abtest(ledger)
    images = abtest_images(ledger, "night test")
    pair = next_pair(images, [], "alice", random.Random(0))
    assert pair is not None
    record_vote(ledger, "night test", pair.left, pair.right, "left", "alice")
    for seed in range(20):
        other = next_pair(images, stored_votes(ledger, "night test"), "bob", random.Random(seed))
        assert other is not None and other.key != pair.key
