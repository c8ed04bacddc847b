"""The one filter of the ledger's images: what the tab, the HTTP routes, the CLI and the analysis loaders narrow
the ledger to, and the SQL it becomes.

One model so the same words select the same images everywhere: the tab builds an :class:`ImageFilter` from its
inputs, ``GET /paramlab/v1/images`` and ``paramlab export`` parse theirs with :meth:`ImageFilter.from_params`
(the CLI's flags are generated from :data:`FILTER_PARAMS`, so they cannot drift), and every read turns it into
SQL with :func:`where_clause`. The conditions are on ``images`` alone (a job is a sub-select), so a count never
joins ``runs``, and the prompt search uses the full-text index with the user's words reduced to plain tokens,
so no input can be a full-text syntax error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from paramlab.ledger import schema
from paramlab.ledger.dialect import like_escape, prompt_search_clause
from paramlab.ledger.records import as_utc
from paramlab.ledger.replay_schema import run_extension_values

images, runs, jobs = schema.images, schema.runs, schema.jobs

SORTS: dict[str, tuple[str, ...]] = {
    "newest": ("created_at desc", "id desc"),
    "oldest": ("created_at asc", "id asc"),
    "rating": ("rating desc", "created_at desc", "id desc"),
    "cost": ("cost_seconds desc", "id desc"),
    "cheapest": ("cost_seconds asc", "id desc"),
}
PAGE_SIZE_MAX = 500
DEFAULT_PAGE_SIZE = 50
CHOICE_FIELDS = ("model", "profile", "series", "sampler", "scheduler", "status")  # exact values, one of several
REPLAY_VERDICTS = ("exact", "approximate", "not_replayable")
EXTENSION_SYNTAX = "<script>:<name>=<value>, e.g. ControlNet:unit 0 model=control_x"


class FilterError(ValueError):
    """A filter parameter that cannot be read; the message names the parameter and the value."""


def _texts(value: Any) -> tuple[str, ...] | None:
    """A value or several as stripped, non-empty strings; None when nothing is left ("any")."""
    values = [value] if isinstance(value, str) or not isinstance(value, Iterable) else list(value)
    kept = tuple(text for text in (str(v).strip() for v in values if v is not None) if text)
    return kept or None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else value


@dataclass(frozen=True)
class ImageFilter:
    """Which images, in which order, which page. None (or blank) means "any"; the choice fields hold one value
    or several (any of them matches). Times are aware datetimes, ``created_to`` exclusive."""

    created_from: datetime | None = None
    created_to: datetime | None = None
    model: tuple[str, ...] | None = None  # model names or hashes
    profile: tuple[str, ...] | None = None
    series: tuple[str, ...] | None = None
    sampler: tuple[str, ...] | None = None
    scheduler: tuple[str, ...] | None = None  # the schedule type
    steps_min: int | None = None
    steps_max: int | None = None
    cfg_min: float | None = None
    cfg_max: float | None = None
    rating_min: int | None = None  # 1–5: at least this; 0: unrated only
    flaw: str | None = None  # a code from paramlab.quality.flaws.FLAW_CODES
    text: str | None = None  # words that must all appear in the prompt (prefix match)
    job: str | None = None  # a job (one press of Generate): its id or its uid
    status: tuple[str, ...] | None = None  # image statuses; None: every status
    ids: tuple[int, ...] | None = None  # exactly these images (an A/B test's)
    extension: str | None = None  # another extension's setting, "<script>:<name>=<value>" (see extension_setting)
    replay: str | None = None  # the run's replay verdict, one of REPLAY_VERDICTS
    order: str = "newest"  # a key of SORTS
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        for name in CHOICE_FIELDS:
            object.__setattr__(self, name, _texts(getattr(self, name)))
        for name in ("flaw", "text", "job", "extension", "replay"):
            object.__setattr__(self, name, _text(getattr(self, name)))
        if self.extension is not None:
            extension_setting(self.extension)  # refused here, wherever the filter was built
        if self.replay is not None and self.replay not in REPLAY_VERDICTS:
            raise FilterError(f"ParamLab: replay '{self.replay}' is not a verdict; use one of "
                              f"{', '.join(REPLAY_VERDICTS)}.")
        if self.ids is not None:
            object.__setattr__(self, "ids", tuple(int(i) for i in self.ids))
        if self.order not in SORTS:
            raise FilterError(f"ParamLab: order '{self.order}' is not known; use one of {', '.join(SORTS)}.")

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ImageFilter:
        """The filter from string parameters (an HTTP query string, CLI flags): each value a string or a list of
        strings (a choice parameter given several times). Unknown parameters are refused, so a typo never
        widens a selection; blank values mean "any"."""
        by_name = {param.name: param for param in FILTER_PARAMS}
        unknown = sorted(set(params) - set(by_name))
        if unknown:
            raise FilterError(f"ParamLab: unknown filter parameter {', '.join(repr(u) for u in unknown)}; "
                              f"use {', '.join(by_name)}.")
        values: dict[str, Any] = {}
        for name, raw in params.items():
            param = by_name[name]
            given = [str(v) for v in (raw if isinstance(raw, (list, tuple)) else [raw]) if v is not None]
            given = [v for v in given if v.strip()]
            if not given:
                continue
            if not param.several and len(given) > 1:
                raise FilterError(f"ParamLab: {name} is given {len(given)} times; give it once.")
            parsed = [param.parse(name, value) for value in given]
            values[param.field] = tuple(parsed) if param.several else parsed[0]
        return cls(**values)

    def params(self) -> dict[str, str | list[str]]:
        """The filter as :meth:`from_params` reads it back (non-default values only), e.g. for a query string."""
        found: dict[str, str | list[str]] = {}
        for param in FILTER_PARAMS:
            value = getattr(self, param.field)
            if value is None or value == DEFAULTS.get(param.field):
                continue
            if isinstance(value, tuple):
                found[param.name] = [str(v) for v in value]
            elif isinstance(value, datetime):
                found[param.name] = value.isoformat()
            else:
                found[param.name] = str(value)
        return found

    def with_page(self, page: int) -> ImageFilter:
        return replace(self, page=page)

    def clamped_page_size(self) -> int:
        return max(1, min(int(self.page_size), PAGE_SIZE_MAX))


DEFAULTS = {f.name: f.default for f in fields(ImageFilter)}

# -- parsing string parameters --------------------------------------------------------------------


def _date(name: str, value: str, end: bool = False) -> datetime:
    """``YYYY-MM-DD`` as local midnight (the tab shows local time; an end date includes that whole day), or an
    ISO date and time (naive: local)."""
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = datetime.strptime(text, "%Y-%m-%d").astimezone()
            return day + timedelta(days=1) if end else day
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise FilterError(f"ParamLab: {name} '{value}' is not a date; write it as YYYY-MM-DD "
                          "(or YYYY-MM-DDTHH:MM).") from exc
    return moment if moment.tzinfo is not None else moment.astimezone()


def _number(kind: type, low: float | None = None, high: float | None = None) -> Callable[[str, str], Any]:
    def parse(name: str, value: str) -> Any:
        try:
            number = kind(value.strip())
        except ValueError as exc:
            what = "a whole number" if kind is int else "a number"
            raise FilterError(f"ParamLab: {name} '{value}' is not {what}.") from exc
        if number != number or (low is not None and number < low) or (high is not None and number > high):
            limits = f"from {low:g}" + (f" to {high:g}" if high is not None else "")
            raise FilterError(f"ParamLab: {name} '{value}' is out of range; use {limits}.")
        return number

    return parse


def _rating(name: str, value: str) -> int:
    return 0 if value.strip().lower() == "unrated" else _number(int, 0, 5)(name, value)


def _order(name: str, value: str) -> str:
    if value.strip() not in SORTS:
        raise FilterError(f"ParamLab: {name} '{value}' is not known; use one of {', '.join(SORTS)}.")
    return value.strip()


def _plain(name: str, value: str) -> str:
    return value


def extension_setting(text: str, name: str = "extension") -> tuple[str, str, str]:
    """``"<script>:<name>=<value>"`` as (script, setting name, value), e.g. ``ControlNet:unit 0 model=control_x``
    → ("ControlNet", "unit 0 model", "control_x"); the value may be empty (any value)."""
    script, colon, rest = text.partition(":")
    setting, equals, value = rest.partition("=")
    if not colon or not equals or not script.strip() or not setting.strip():
        raise FilterError(f"ParamLab: {name} '{text}' cannot be read; write it as {EXTENSION_SYNTAX}.")
    return script.strip(), setting.strip(), value.strip()


def _extension(name: str, value: str) -> str:
    extension_setting(value, name)
    return value


def _verdict(name: str, value: str) -> str:
    if value.strip() not in REPLAY_VERDICTS:
        raise FilterError(f"ParamLab: {name} '{value}' is not a verdict; use one of {', '.join(REPLAY_VERDICTS)}.")
    return value.strip()


@dataclass(frozen=True)
class FilterParam:
    """One string parameter of the filter: its name (``--name-with-dashes`` on the CLI), field and help."""

    name: str
    field: str
    help: str
    parse: Callable[[str, str], Any] = _plain
    several: bool = False  # may be given more than once (any of the values matches)
    selects: bool = True  # narrows the images (else it orders or pages them)


FILTER_PARAMS: tuple[FilterParam, ...] = (
    FilterParam("from", "created_from", "made on or after this date (YYYY-MM-DD, local) or time (ISO)", _date),
    FilterParam("to", "created_to", "made on or before this date (YYYY-MM-DD, the whole day), or before this time",
                lambda name, value: _date(name, value, end=True)),
    FilterParam("model", "model", "model name or hash", several=True),
    FilterParam("profile", "profile", "profile name", several=True),
    FilterParam("series", "series", "seed series name", several=True),
    FilterParam("sampler", "sampler", "sampler name", several=True),
    FilterParam("scheduler", "scheduler", "schedule type", several=True),
    FilterParam("steps_min", "steps_min", "at least this many steps", _number(int, 0, 10_000)),
    FilterParam("steps_max", "steps_max", "at most this many steps", _number(int, 0, 10_000)),
    FilterParam("cfg_min", "cfg_min", "CFG scale at least", _number(float, 0, 1000)),
    FilterParam("cfg_max", "cfg_max", "CFG scale at most", _number(float, 0, 1000)),
    FilterParam("rating_min", "rating_min", "rated at least this (1-5), or 0/'unrated' for unrated only", _rating),
    FilterParam("flaw", "flaw", "a flaw code, e.g. cfg_burn"),
    FilterParam("text", "text", "words that must all appear in the prompt"),
    FilterParam("job", "job", "a job's id or uid (one press of Generate)"),
    FilterParam("status", "status", "image status, e.g. ok or interrupted (default: every status)", several=True),
    FilterParam("ids", "ids", "an image id", _number(int, 1, None), several=True),
    FilterParam("extension", "extension", f"another extension's setting: {EXTENSION_SYNTAX} (the value: any part, "
                "any case)", _extension),
    FilterParam("replay", "replay", f"replay verdict: {', '.join(REPLAY_VERDICTS)}", _verdict),
    FilterParam("order", "order", f"order: {', '.join(SORTS)}", _order, selects=False),
    FilterParam("page", "page", "page number, from 1", _number(int, 1, None), selects=False),
    FilterParam("page_size", "page_size", f"images per page, 1-{PAGE_SIZE_MAX}", _number(int, 1, PAGE_SIZE_MAX),
                selects=False),
)

# -- the SQL --------------------------------------------------------------------------------------


def search_tokens(text: str) -> list[str]:
    """Letters and digits only: the words FTS5 (unicode61) and PostgreSQL's 'simple' parser index."""
    return re.findall(r"[^\W_]+", text)


def _text_clause(text: str, dialect: str) -> sa.ColumnElement[bool]:
    tokens = search_tokens(text)
    words = text.split()
    substring = sa.and_(*(images.c.prompt.ilike(f"%{like_escape(w)}%", escape="\\") for w in words))
    if not tokens:  # only punctuation ("*", '"'): nothing an index knows, so a plain substring search
        return substring
    indexed = prompt_search_clause(images, tokens, dialect)
    return substring if indexed is None else indexed


def _one_of(column: sa.Column[Any], values: tuple[Any, ...]) -> sa.ColumnElement[bool]:
    return column == values[0] if len(values) == 1 else column.in_(values)


def _job_clause(job: str) -> sa.ColumnElement[bool]:
    """Images of one job, by its id or uid: a sub-select, so the condition stays on ``images``."""
    named = jobs.c.job_uid == job
    job_ids = sa.select(jobs.c.id).where(sa.or_(jobs.c.id == int(job), named) if job.isdigit() else named)
    return images.c.run_id.in_(sa.select(runs.c.id).where(runs.c.job_id.in_(job_ids)))


def _extension_clause(text: str) -> sa.ColumnElement[bool]:
    """Images whose run recorded this setting of this script (both in any case), its value containing the text."""
    script, setting, value = extension_setting(text)
    table = run_extension_values
    conditions = [sa.func.lower(table.c.script) == script.lower(), sa.func.lower(table.c.name) == setting.lower()]
    if value:
        conditions.append(table.c.value.ilike(f"%{like_escape(value)}%", escape="\\"))
    return images.c.run_id.in_(sa.select(table.c.run_id).where(*conditions))


def _replay_clause(verdict: str) -> sa.ColumnElement[bool]:
    return images.c.run_id.in_(sa.select(runs.c.id).where(runs.c.replay_verdict == verdict))


def where_clause(filt: ImageFilter, dialect: str = "sqlite") -> list[sa.ColumnElement[bool]]:
    """The filter as conditions on ``images`` alone (so the count needs no join); paging and order aside."""
    clauses: list[sa.ColumnElement[bool]] = []
    if filt.created_from is not None:
        clauses.append(images.c.created_at >= as_utc(filt.created_from))
    if filt.created_to is not None:
        clauses.append(images.c.created_at < as_utc(filt.created_to))
    if filt.model:
        clauses.append(sa.or_(_one_of(images.c.model_name, filt.model), _one_of(images.c.model_hash, filt.model)))
    for name in ("profile", "series", "sampler", "scheduler", "status"):
        values = getattr(filt, name)
        if values:
            clauses.append(_one_of(images.c[name], values))
    if filt.ids is not None:
        clauses.append(images.c.id.in_(filt.ids))
    if filt.steps_min is not None:
        clauses.append(images.c.steps >= filt.steps_min)
    if filt.steps_max is not None:
        clauses.append(images.c.steps <= filt.steps_max)
    if filt.cfg_min is not None:
        clauses.append(images.c.cfg_scale >= filt.cfg_min)
    if filt.cfg_max is not None:
        clauses.append(images.c.cfg_scale <= filt.cfg_max)
    if filt.rating_min is not None:
        rating = int(filt.rating_min)
        clauses.append(images.c.rating.is_(None) if rating <= 0 else images.c.rating >= rating)
    if filt.flaw:
        code = json.dumps(filt.flaw)  # stored as JSON: {"code": "cfg_burn", ...}
        clauses.append(images.c.flaws.like(f"%{like_escape(code)}%", escape="\\"))
    if filt.text:
        clauses.append(_text_clause(filt.text, dialect))
    if filt.job:
        clauses.append(_job_clause(filt.job))
    if filt.extension:
        clauses.append(_extension_clause(filt.extension))
    if filt.replay:
        clauses.append(_replay_clause(filt.replay))
    return clauses


def order_by(order: str) -> list[sa.ColumnElement[Any]]:
    """The ORDER BY terms of a key of :data:`SORTS` (unknown keys: newest first); NULL ratings and costs last."""
    terms = []
    for term in SORTS.get(order, SORTS["newest"]):
        name, direction = term.split()
        column = images.c[name]
        ordered = column.desc() if direction == "desc" else column.asc()
        terms.append(ordered.nulls_last() if name in ("rating", "cost_seconds") else ordered)
    return terms


__all__ = [
    "DEFAULT_PAGE_SIZE", "FILTER_PARAMS", "PAGE_SIZE_MAX", "REPLAY_VERDICTS", "SORTS", "FilterError", "FilterParam",
    "ImageFilter", "extension_setting", "order_by", "search_tokens", "where_clause",
]
