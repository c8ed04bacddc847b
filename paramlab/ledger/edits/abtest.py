"""A judge's vote on a blind A/B test: checked, then stored in one transaction (refused for a viewer,
with its reason; a database failure arrives as :class:`~paramlab.ledger.LedgerError`, nothing stored)."""

from __future__ import annotations

import uuid

from paramlab.ledger import schema
from paramlab.ledger.reads.abtest import ABImage
from paramlab.ledger.records import utc_now
from paramlab.ledger.store import Ledger


class JudgingError(ValueError):
    """A vote cannot be recorded as given; the message says why."""


def record_vote(ledger: Ledger, name: str, left: ABImage, right: ABImage, choice: str,
                judge: str | None) -> None:
    """Store one judgement of ``left`` against ``right`` (two variants of one prompt and seed)."""
    if choice not in schema.VOTE_CHOICES:
        raise JudgingError(f"ParamLab: unknown vote {choice!r}; choose one of {', '.join(schema.VOTE_CHOICES)}.")
    if (left.prompt, left.seed) != (right.prompt, right.seed) or left.variant == right.variant:
        raise JudgingError("ParamLab: a vote compares two variants of the same prompt and seed.")
    with ledger.transaction("record the vote") as conn:
        conn.execute(schema.ab_votes.insert().values(
            vote_uid=str(uuid.uuid4()), test_name=name, left_image_id=left.id, right_image_id=right.id,
            left_variant=left.variant, right_variant=right.variant, prompt=left.prompt, seed=left.seed,
            choice=choice, judge=judge, voted_at=utc_now()))
