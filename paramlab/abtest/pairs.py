"""Which pair a judge sees next: two variants' images of the same prompt and seed, left and right at random.

Pairs this judge has already judged (or skipped) are not shown again; among the rest, the pairs with the
fewest votes from anyone come first, so several judges spread over the test instead of all judging the
same few pairs.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from paramlab.ledger.reads.abtest import ABImage, StoredVote


@dataclass(frozen=True)
class Pair:
    left: ABImage
    right: ABImage

    @property
    def key(self) -> frozenset[int]:
        return frozenset((self.left.id, self.right.id))


def all_pairs(images: Sequence[ABImage]) -> list[tuple[ABImage, ABImage]]:
    """Every two-variant pair within each (prompt, seed), in the test's order."""
    groups: dict[tuple[str, int], list[ABImage]] = {}
    for image in images:
        groups.setdefault((image.prompt, image.seed), []).append(image)
    return [pair for group in groups.values() for pair in itertools.combinations(group, 2)]


def next_pair(images: Sequence[ABImage], votes: Sequence[StoredVote], judge: str | None,
              rng: random.Random | None = None) -> Pair | None:
    """The next pair for ``judge``, or None when they have judged every pair."""
    rng = rng or random.Random()
    judged_by_anyone = Counter(frozenset((v.left_image_id, v.right_image_id)) for v in votes if v.choice != "skip")
    mine = {frozenset((v.left_image_id, v.right_image_id)) for v in votes if v.judge == judge}
    open_pairs = [pair for pair in all_pairs(images) if frozenset((pair[0].id, pair[1].id)) not in mine]
    if not open_pairs:
        return None
    fewest = min(judged_by_anyone[frozenset((a.id, b.id))] for a, b in open_pairs)
    first, second = rng.choice([(a, b) for a, b in open_pairs if judged_by_anyone[frozenset((a.id, b.id))] == fewest])
    return Pair(first, second) if rng.random() < 0.5 else Pair(second, first)


def progress(images: Sequence[ABImage], votes: Sequence[StoredVote], judge: str | None) -> tuple[int, int]:
    """(pairs this judge has judged or skipped, pairs in the test)."""
    pairs = {frozenset((a.id, b.id)) for a, b in all_pairs(images)}
    mine = {frozenset((v.left_image_id, v.right_image_id)) for v in votes if v.judge == judge}
    return len(pairs & mine), len(pairs)
