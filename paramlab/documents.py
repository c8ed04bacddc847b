"""What ParamLab's named documents (profiles, character series) share: the identity of a name, a store
kept in the ledger (:class:`LedgerStore`), and the versioned JSON files they are shared as: export, reading
with one set of checks and messages, and the all-or-nothing import with its report, entry by entry.

A kind of file is a :class:`DocumentFile`; what an entry must hold and how the documents are stored stay
with the kind (:mod:`paramlab.profiles.fileformat`, :mod:`paramlab.seeds.series_file`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from paramlab.ledger import Ledger
from paramlab.ledger.edits.named_rows import NamedRows, editing
from paramlab.ledger.records import utc_now
from paramlab.ledger.store import ledger_errors_as

MAX_FILE_BYTES = 5 * 1024 * 1024
CONFLICT_CHOICES = ("skip", "rename", "replace")
ACTIONS = ("created", "replaced", "renamed", "skipped", "rejected")
NAME_MAX = 100


def name_key(name: str) -> str:
    """The case-insensitive identity of a profile's or a series' name (stored as ``name_key``)."""
    return name.strip().lower()


def free_name(name: str, taken: Iterable[str], label: str = "") -> str:
    """``Name (2)`` / ``Name (copy 2)`` …: the first name not taken (case-insensitively), within 100 characters."""
    taken_keys = {name_key(existing) for existing in taken}
    number = 1 if label else 2
    while True:
        suffix = f" ({label}{' ' if label and number > 1 else ''}{number if number > 1 else ''})"
        candidate = name[: NAME_MAX - len(suffix)].rstrip() + suffix
        if name_key(candidate) not in taken_keys:
            return candidate
        number += 1


Edits = TypeVar("Edits", bound=NamedRows)
Read = TypeVar("Read")


class LedgerStore(Generic[Edits]):
    """The base of a store of named documents kept in the ledger: its database failures reach callers as its
    own :attr:`storage_error` (a ``ProfileError``/``SeriesError``), with the ledger's message."""

    storage_error: ClassVar[type[Exception]]
    edits_type: type[Edits]

    def __init__(self, ledger: Ledger):
        self.ledger = ledger

    def _read(self, read: Callable[..., Read], *args: Any) -> Read:
        """``read(ledger, *args)`` (a :mod:`paramlab.ledger.reads` function); a database failure is a
        :attr:`storage_error`."""
        with ledger_errors_as(self.storage_error):
            return read(self.ledger, *args)

    def _editing(self, what: str) -> AbstractContextManager[Edits]:
        """One transaction ("save profile 'X'"); a database failure is a :attr:`storage_error` and nothing is
        changed."""
        return editing(self.edits_type, self.ledger, what, self.storage_error)


def read_document(text: str | bytes, *, file_format: str, version: int, list_key: str, what: str,
                  max_bytes: int = MAX_FILE_BYTES) -> tuple[list[Any] | None, str | None]:
    """(the entries under ``list_key``, None) or (None, what is wrong with the file as a whole).

    ``what`` names the kind of file in messages, e.g. "profiles" → "this is not a ParamLab profiles file".
    """
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", errors="replace"))
    if size > max_bytes:
        return None, f"the file is {size / 1024 / 1024:.1f} MB; the limit is {max_bytes // 1024 // 1024} MB."
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return None, f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})."
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"the file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
    except RecursionError:
        return None, "the file is not valid JSON (nested too deeply)."
    if not isinstance(document, dict) or document.get("format") != file_format:
        return None, f"this is not a ParamLab {what} file (expected \"format\": \"{file_format}\")."
    found = document.get("version")
    if found != version or isinstance(found, bool):
        return None, f"the file has format version {found!r}; this ParamLab reads version {version}."
    entries = document.get(list_key)
    if not isinstance(entries, list):
        return None, f"the file has no \"{list_key}\" list."
    return entries, None


@dataclass
class ImportEntry:
    """What happened (or would have happened) to one entry of the file."""

    name: str
    action: str
    detail: str = ""


@dataclass
class ImportReport:
    """``ok`` is True only when the whole file was written. ``error`` is a problem with the file as a whole.
    ``nouns`` name what the file holds: one, many."""

    ok: bool
    entries: list[ImportEntry] = field(default_factory=list)
    error: str | None = None
    nouns: tuple[str, str] = ("profile", "profiles")

    def summary(self) -> str:
        lines = []
        if self.ok:
            lines.append(imported_line(self.entries, *self.nouns))
        else:
            lines.append(f"Nothing was imported: {self.error or 'some entries have problems'}")
        lines += [f"- {e.name or '(no name)'}: {e.action}{' (' + e.detail + ')' if e.detail else ''}"
                  for e in self.entries]
        return "\n".join(lines)


def imported_line(entries: list[ImportEntry], one: str, many: str) -> str:
    """The report's first line: what was written, and apart from it what was skipped (never "imported").

    ``one``/``many`` name the things, e.g. "profile"/"profiles" or "series"/"series"."""
    written = [entry for entry in entries if entry.action != "skipped"]
    counts = {action: sum(entry.action == action for entry in written) for action in ACTIONS}
    done = ", ".join(f"{count} {action}" for action, count in counts.items() if count)
    line = f"Imported {len(written)} {one if len(written) == 1 else many}" + (f" ({done})" if done else "")
    skipped = len(entries) - len(written)
    if skipped:
        line += f"; skipped {skipped}: a {one} with {'that name' if skipped == 1 else 'those names'} already exists"
    return line + "."


class NamedDocument(Protocol):
    """What the import needs of a profile or a series: its name, its case-insensitive key and a renamed copy."""

    @property
    def name(self) -> str: ...

    @property
    def key(self) -> str: ...

    def copy(self, *, update: dict[str, Any]) -> Any: ...


@dataclass
class Planned:
    """One entry of a file after checking: what will happen to it, and the document to write (None: rejected)."""

    entry: ImportEntry
    document: Any = None


def entry_shape_problem(raw: Any, fields: Iterable[str]) -> tuple[str, str | None]:
    """The name to show for a raw entry, and what is wrong with its shape (not an object, unknown fields)."""
    fields = tuple(fields)
    shown = raw.get("name") if isinstance(raw, dict) and isinstance(raw.get("name"), str) else ""
    shown = shown.strip()[:NAME_MAX]
    if not isinstance(raw, dict):
        return shown, f"an entry must be an object with {', '.join(fields)}"
    extra = sorted(str(key) for key in raw if key not in fields)
    if extra:
        return shown, f"unknown field(s) {', '.join(extra)}; valid fields: {', '.join(fields)}"
    return shown, None


@dataclass(frozen=True)
class DocumentFile:
    """One kind of shared file: ``{"format": …, "version": …, "exported_at": …, <list_key>: [...]}``.

    ``one``/``many`` name its documents in messages ("profile"/"profiles"); ``error_type`` is the error of
    that kind (raised for a wrong ``on_conflict``, caught when the import's one write fails)."""

    file_format: str
    version: int
    list_key: str
    one: str
    many: str
    error_type: type[Exception]
    report: type[ImportReport] = ImportReport

    def export(self, entries: list[dict[str, Any]]) -> str:
        """The file's text (pretty JSON)."""
        document = {"format": self.file_format, "version": self.version,
                    "exported_at": utc_now().isoformat(timespec="seconds"), self.list_key: entries}
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"

    def import_all(
        self,
        text: str | bytes,
        check_entry: Callable[[Any], Planned],
        existing: Callable[[], dict[str, str]],
        write: Callable[[list[Any], list[Any]], None],
        *,
        on_conflict: str | None,
        cannot_replace: Callable[[Any], str | None] = lambda document: None,
    ) -> ImportReport:
        """Check every entry, then write them all with ``write(created, replacing)`` (one transaction), or
        write nothing and say why, entry by entry.

        ``existing()`` gives the stored names by key; ``on_conflict`` decides what happens to a name that
        exists: ``skip``, ``rename`` (to "Name (2)" …) or ``replace`` (unless ``cannot_replace`` gives a
        reason); None rejects such entries.
        """
        if on_conflict not in (None, *CONFLICT_CHOICES):
            raise self.error_type(
                f"on_conflict must be one of {', '.join(CONFLICT_CHOICES)} (or None), got {on_conflict!r}.")
        entries, problem = read_document(text, file_format=self.file_format, version=self.version,
                                         list_key=self.list_key, what=self.many)
        if entries is not None and not entries:
            problem = f"the file holds no {self.many}."
        if problem is not None or entries is None:
            return self._report(ok=False, error=problem or "the file cannot be read.")
        planned = [check_entry(raw) for raw in entries]
        _reject_repeated_names(planned)
        created, replacing = self._resolve_conflicts(planned, existing(), on_conflict, cannot_replace)
        report = self._report(ok=True, entries=[item.entry for item in planned])
        if any(entry.action == "rejected" for entry in report.entries):
            report.ok = False
            report.error = "some entries have problems (see below); fix them or choose how to resolve name conflicts."
            return report
        try:
            write(created, replacing)
        except self.error_type as exc:
            report.ok, report.error = False, str(exc)
            for entry in report.entries:
                if entry.action != "skipped":
                    entry.action, entry.detail = "rejected", "not written: the import failed as a whole"
        return report

    def _report(self, **fields: Any) -> ImportReport:
        return self.report(nouns=(self.one, self.many), **fields)

    def _resolve_conflicts(self, planned: list[Planned], existing: dict[str, str], on_conflict: str | None,
                           cannot_replace: Callable[[Any], str | None]) -> tuple[list[Any], list[Any]]:
        """Decide create / replace / rename / skip for every accepted entry (or reject it); (created, replacing)."""
        taken = set(existing) | {item.document.key for item in planned if item.document is not None}
        created: list[Any] = []
        replacing: list[Any] = []
        for item in planned:
            document, entry = item.document, item.entry
            if document is None or entry.action == "rejected":
                continue
            if document.key not in existing:
                created.append(document)
            elif on_conflict is None:
                entry.action = "rejected"
                entry.detail = (f"a {self.one} named '{existing[document.key]}' already exists; choose skip, rename "
                                "or replace")
            elif on_conflict == "skip":
                entry.action, entry.detail = "skipped", f"a {self.one} with this name already exists"
            elif on_conflict == "replace" and cannot_replace(document):
                entry.action, entry.detail = "rejected", str(cannot_replace(document))
            elif on_conflict == "replace":
                entry.action = "replaced"
                replacing.append(document)
            else:
                new_name = free_name(document.name, taken)
                taken.add(name_key(new_name))
                entry.action = "renamed"
                entry.detail = "; ".join(filter(None, [f"imported as '{new_name}'", entry.detail]))
                created.append(document.copy(update={"name": new_name}))
        return created, replacing


def _reject_repeated_names(planned: list[Planned]) -> None:
    """Two entries of one file with the same name (case-insensitively) are both rejected."""
    first_by_key: dict[str, Planned] = {}
    for item in planned:
        if item.document is None:
            continue
        first = first_by_key.setdefault(item.document.key, item)
        if first is not item:
            for repeated in (first, item):
                repeated.entry.action = "rejected"
                repeated.entry.detail = f"the name '{item.document.name}' appears more than once in this file"
