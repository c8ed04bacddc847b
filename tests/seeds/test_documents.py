"""What profiles and series share (paramlab.documents): the name identity, free names, an entry's shape,
and one import flow whose messages name the kind of file."""

from __future__ import annotations

import json

import pytest

from paramlab.documents import DocumentFile, ImportEntry, Planned, entry_shape_problem, free_name, name_key
from paramlab.profiles.names import check_text, optional_name
from paramlab.seeds import SeriesError
from paramlab.seeds.series_file import SERIES_FILE, SeriesImportReport


def test_free_names_are_case_insensitive_and_fit_the_name_limit() -> None:
    assert name_key("  Night Look ") == "night look"
    assert free_name("Night", ["night", "NIGHT (2)"]) == "Night (3)"
    assert free_name("Night", ["Night", "night (copy)"], "copy") == "Night (copy 2)"
    long = free_name("x" * 100, ["x" * 100])
    assert len(long) == 100 and long.endswith(" (2)")


def test_an_entry_must_be_an_object_with_known_fields() -> None:
    assert entry_shape_problem(["a"], ("name", "seed")) == ("", "an entry must be an object with name, seed")
    shown, problem = entry_shape_problem({"name": "  Kaito ", "colour": 1}, ("name", "seed"))
    assert (shown, problem) == ("Kaito", "unknown field(s) colour; valid fields: name, seed")
    assert entry_shape_problem({"name": "Kaito", "seed": 1}, ("name", "seed")) == ("Kaito", None)


def test_text_and_name_checks_say_which_field() -> None:
    assert check_text(None, "Series notes", 10, SeriesError) == ""
    assert check_text("  hi ", "Series notes", 10, SeriesError) == "hi"
    with pytest.raises(SeriesError, match="Series notes is 11 characters long; the limit is 10."):
        check_text("x" * 11, "Series notes", 10, SeriesError)
    with pytest.raises(SeriesError, match="Series notes contains a NUL character."):
        check_text("a\x00", "Series notes", 10, SeriesError)
    assert optional_name("  ", "profile", SeriesError, "Series profile", blank_is_none=True) is None
    with pytest.raises(SeriesError, match="^Series profile: Profile name '<b>' contains '<' or '>'"):
        optional_name("<b>", "profile", SeriesError, "Series profile")


def test_one_import_flow_for_every_kind_of_file() -> None:
    written: list[tuple[list[object], list[object]]] = []
    text = json.dumps({"format": "paramlab-series", "version": 1, "series": [{"name": "x"}]})
    with pytest.raises(SeriesError, match="on_conflict must be one of skip, rename, replace"):
        SERIES_FILE.import_all(text, lambda raw: Planned(ImportEntry("x", "created")), dict,
                               lambda *lists: written.append(lists), on_conflict="merge")
    report = SERIES_FILE.import_all(json.dumps({"format": "paramlab-series", "version": 1, "series": []}),
                                    lambda raw: Planned(ImportEntry("x", "created")), dict,
                                    lambda *lists: written.append(lists), on_conflict=None)
    assert isinstance(report, SeriesImportReport) and not report.ok and report.error == "the file holds no series."
    assert written == []
    other = DocumentFile("paramlab-things", 2, "things", "thing", "things", ValueError)
    assert json.loads(other.export([{"name": "a"}]))["things"] == [{"name": "a"}]
    wrong = other.import_all(text, lambda raw: Planned(ImportEntry("x", "created")), dict,
                             lambda *lists: written.append(lists), on_conflict=None)
    assert "this is not a ParamLab things file" in wrong.summary() and written == []
