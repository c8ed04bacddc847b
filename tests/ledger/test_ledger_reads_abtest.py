"""The ledger's A/B test reads and its vote write (SQLite and PostgreSQL): the cells a rerun skips, the
newest definition of a test, and database failures arriving as LedgerError (a refused vote stores nothing)."""

from __future__ import annotations

import pytest
from abtest_ledger import fill_abtest, record_definition
from db_faults import MISSING_TABLE, refuse

from paramlab.abtest.pairs import all_pairs
from paramlab.abtest.spec import SCRIPT_TITLE
from paramlab.ledger import Ledger, LedgerError
from paramlab.ledger.edits.abtest import record_vote
from paramlab.ledger.reads.abtest import abtest_images, abtest_names, done_cells, newest_script_args, stored_votes


def test_done_cells_are_what_a_rerun_skips(ledger: Ledger) -> None:
    fill_abtest(ledger, prompts=("a lighthouse",), seeds=(11, 12))
    fill_abtest(ledger, prompts=("a lighthouse",), seeds=(11,))  # a cell made twice counts once
    assert done_cells(ledger, "night test") == {(variant, "a lighthouse", seed)
                                                for variant in ("Fast draft", "Careful") for seed in (11, 12)}
    assert done_cells(ledger, "no such test") == set()


def test_the_newest_definition_of_the_named_test_is_read(ledger: Ledger) -> None:
    assert newest_script_args(ledger, SCRIPT_TITLE, "night test") is None
    record_definition(ledger, seeds=(1, 2))
    record_definition(ledger, seeds=(3, 4))
    record_definition(ledger, name="other test", seeds=(5,))
    newest = newest_script_args(ledger, SCRIPT_TITLE, "night test")
    assert newest is not None and newest["name"] == "night test" and newest["seeds"] == [3, 4]
    assert newest_script_args(ledger, "X/Y/Z plot", "night test") is None


def test_database_failures_arrive_as_ledger_errors(ledger: Ledger) -> None:
    fill_abtest(ledger)
    left, right = all_pairs(abtest_images(ledger, "night test"))[0]
    refuse(ledger, "no_votes", "ab_votes", "INSERT", "votes are closed")
    with pytest.raises(LedgerError, match="could not record the vote; nothing was changed: .*votes are closed"):
        record_vote(ledger, "night test", left, right, "left", "alice")
    assert stored_votes(ledger, "night test") == []
    with ledger.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE ab_votes RENAME TO ab_votes_elsewhere")
        conn.exec_driver_sql("ALTER TABLE jobs RENAME TO jobs_elsewhere")
    with pytest.raises(LedgerError, match=f"could not read the A/B test's votes: .*({MISSING_TABLE})"):
        stored_votes(ledger, "night test")
    with pytest.raises(LedgerError, match=f"could not read the A/B test's definition: .*({MISSING_TABLE})"):
        newest_script_args(ledger, SCRIPT_TITLE, "night test")
    with ledger.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE images RENAME TO images_elsewhere")
    with pytest.raises(LedgerError, match=f"could not list the A/B tests: .*({MISSING_TABLE})"):
        abtest_names(ledger)
    with pytest.raises(LedgerError, match=f"could not read the A/B test's images: .*({MISSING_TABLE})"):
        abtest_images(ledger, "night test")
