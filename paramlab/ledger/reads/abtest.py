"""A blind A/B test as the ledger holds it: its images (found by the infotext keys every image of the test
carries), the cells already made (so a rerun resumes), the judges' votes, and the test's definition as its
newest run recorded it.

A test is identified by its name: each run of it is a job of its own, and a rerun with the same name
skips the (variant, prompt, seed) cells the ledger already has. Database failures arrive as
:class:`~paramlab.ledger.LedgerError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from paramlab.ledger import schema
from paramlab.ledger.store import Ledger

TEST_KEY = "ParamLab A/B test"  # infotext keys on every image of a test: how the ledger finds them
VARIANT_KEY = "ParamLab A/B variant"

images, votes_table = schema.images, schema.ab_votes


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


@dataclass(frozen=True)
class StoredVote:
    left_image_id: int
    right_image_id: int
    left_variant: str
    right_variant: str
    choice: str
    judge: str | None
    voted_at: datetime


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
    with ledger.read("read the A/B test's images") as conn:
        for row in conn.execute(query):
            extra = _json_object(row.extra_params)
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
    with ledger.read("list the A/B tests") as conn:
        for (extra_text,) in conn.execute(query):
            name = _json_object(extra_text).get(TEST_KEY)
            if name:
                names.setdefault(name, None)
    return list(names)


def stored_votes(ledger: Ledger, name: str) -> list[StoredVote]:
    """The test's votes in the order they were given."""
    query = sa.select(votes_table).where(votes_table.c.test_name == name).order_by(votes_table.c.id)
    with ledger.read("read the A/B test's votes") as conn:
        return [StoredVote(row.left_image_id, row.right_image_id, row.left_variant, row.right_variant, row.choice,
                           row.judge, row.voted_at) for row in conn.execute(query)]


def newest_script_args(ledger: Ledger, script_name: str, name: str) -> dict[str, Any] | None:
    """The arguments (a dict whose ``name`` is ``name``) of the newest job that ``script_name`` ran with
    them: how the A/B test script keeps a test's definition in the ledger. None when no job has them."""
    jobs = schema.jobs
    query = (sa.select(jobs.c.script_args).where(jobs.c.script_name == script_name, jobs.c.script_args.is_not(None))
             .order_by(jobs.c.id.desc()))
    with ledger.read("read the A/B test's definition") as conn:
        for (text,) in conn.execute(query):
            try:
                data = json.loads(text)
            except ValueError:
                continue
            if isinstance(data, dict) and data.get("name") == name:
                return data
    return None


def _json_object(text: Any) -> dict[str, Any]:
    try:
        loaded = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}
