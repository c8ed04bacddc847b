"""An A/B test in the ledger: its images (found by the infotext keys every image of the test carries), the
cells already made (so a rerun resumes), and the judges' votes.

A test is identified by its name: each run of it is a job of its own, and a rerun with the same name
skips the (variant, prompt, seed) cells the ledger already has.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from paramlab.abtest.spec import TEST_KEY, VARIANT_KEY
from paramlab.analysis.bradley_terry import Vote
from paramlab.ledger import schema
from paramlab.ledger.records import utc_now
from paramlab.ledger.store import Ledger

images, votes_table = schema.images, schema.ab_votes


class JudgingError(ValueError):
    """A vote cannot be recorded as given; the message says why."""


@dataclass(frozen=True)
class ABImage:
    id: int
    variant: str
    prompt: str
    seed: int
    cost_seconds: float | None
    flaws: str | None
    thumbnail_path: str | None
    image_path: str | None


def _tag(name: str) -> str:
    """How the test's name appears in ``images.extra_params`` (sorted JSON of the infotext's other keys)."""
    return json.dumps({TEST_KEY: name}, ensure_ascii=False)[1:-1]


def abtest_images(ledger: Ledger, name: str) -> list[ABImage]:
    """The finished images of the test, oldest first; a cell made twice keeps its first image."""
    query = (sa.select(images.c.id, images.c.extra_params, images.c.prompt, images.c.seed, images.c.cost_seconds,
                       images.c.flaws, images.c.thumbnail_path, images.c.image_path)
             .where(images.c.status == "ok", images.c.extra_params.contains(_tag(name), autoescape=True))
             .order_by(images.c.id))
    found: dict[tuple[str, str, int], ABImage] = {}
    with ledger.engine.connect() as conn:
        for row in conn.execute(query):
            extra = _extra(row.extra_params)
            variant = extra.get(VARIANT_KEY)
            if extra.get(TEST_KEY) != name or not variant or row.seed is None:
                continue
            image = ABImage(row.id, variant, row.prompt or "", int(row.seed), row.cost_seconds, row.flaws,
                              row.thumbnail_path, row.image_path)
            found.setdefault((variant, image.prompt, image.seed), image)
    return list(found.values())


def done_cells(ledger: Ledger, name: str) -> set[tuple[str, str, int]]:
    """(variant, prompt, seed) of every finished image of the test: what a rerun skips."""
    return {(image.variant, image.prompt, image.seed) for image in abtest_images(ledger, name)}


def abtest_names(ledger: Ledger) -> list[str]:
    """Every A/B test in the ledger, newest first."""
    query = (sa.select(images.c.extra_params)
             .where(images.c.extra_params.contains(json.dumps(TEST_KEY) + ":", autoescape=True))
             .order_by(images.c.id.desc()))
    names: dict[str, None] = {}
    with ledger.engine.connect() as conn:
        for (extra_text,) in conn.execute(query):
            name = _extra(extra_text).get(TEST_KEY)
            if name:
                names.setdefault(name, None)
    return list(names)


def _extra(text: Any) -> dict[str, Any]:
    try:
        loaded = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


@dataclass(frozen=True)
class StoredVote:
    left_image_id: int
    right_image_id: int
    left_variant: str
    right_variant: str
    choice: str
    judge: str | None
    voted_at: datetime

    def as_vote(self) -> Vote:
        return Vote(self.left_variant, self.right_variant, self.choice)


def record_vote(ledger: Ledger, name: str, left: ABImage, right: ABImage, choice: str,
                judge: str | None) -> None:
    """Store one judgement (refused for a viewer by :meth:`Ledger.write`, with its reason)."""
    if choice not in schema.VOTE_CHOICES:
        raise JudgingError(f"ParamLab: unknown vote {choice!r}; choose one of {', '.join(schema.VOTE_CHOICES)}.")
    if (left.prompt, left.seed) != (right.prompt, right.seed) or left.variant == right.variant:
        raise JudgingError("ParamLab: a vote compares two variants of the same prompt and seed.")
    with ledger.write() as conn:
        conn.execute(votes_table.insert().values(
            vote_uid=str(uuid.uuid4()), test_name=name, left_image_id=left.id, right_image_id=right.id,
            left_variant=left.variant, right_variant=right.variant, prompt=left.prompt, seed=left.seed,
            choice=choice, judge=judge, voted_at=utc_now()))


def stored_votes(ledger: Ledger, name: str) -> list[StoredVote]:
    query = sa.select(votes_table).where(votes_table.c.test_name == name).order_by(votes_table.c.id)
    with ledger.engine.connect() as conn:
        return [StoredVote(row.left_image_id, row.right_image_id, row.left_variant, row.right_variant, row.choice,
                           row.judge, row.voted_at) for row in conn.execute(query)]
