"""The background writer: rows survive database faults, errors are reported once, nothing is lost."""

from __future__ import annotations

import io
import logging
import sqlite3
import threading
from pathlib import Path

import pytest
from PIL import Image

from paramlab.aftercare.runner import Aftercare
from paramlab.aftercare.tasks import WorkSettings
from paramlab.aftercare.work import sha256_of_file
from paramlab.ledger import ImageRecord, Ledger, LedgerError, RunRecord
from paramlab.ledger.thumbnails import stored_thumbnail
from paramlab.ledger.urls import resolve_ledger_url
from paramlab.ledger.writer import LedgerWriter

FAST_RETRY = (0.05, 0.05, 0.1)


def run_with_image(image: Image.Image | None = None, path: str | None = None, prompt: str = "p") -> RunRecord:
    return RunRecord(
        tab="txt2img", source="api",
        images=[ImageRecord(index_in_run=0, prompt=prompt, seed=7, pil_image=image, image_path=path)],
    )


def with_aftercare(settings: WorkSettings | None = None):
    """The writer's background work as the WebUI builds it (hashes, thumbnails, figures)."""
    return lambda deliver: Aftercare(deliver, work_settings=lambda: settings or WorkSettings())


def open_at(path: Path | str):
    url = resolve_ledger_url(path, Path(path).parent if isinstance(path, Path) else None)
    return lambda: Ledger.open(url)


def read_back(path: Path | str) -> list[dict]:
    ledger = open_at(path)()
    try:
        rows = ledger.recent_images()
        with ledger.engine.connect() as conn:
            for row in rows:
                row["stored_thumbnail"] = stored_thumbnail(conn, row["id"])
        return rows
    finally:
        ledger.close()


@pytest.mark.parametrize("shared_ledger", [False, True], ids=["local", "shared"])
def test_writes_rows_thumbnails_into_the_ledger_and_file_hashes(tmp_path: Path, ledger_location: str,
                                                                shared_ledger: bool) -> None:
    saved = tmp_path / "00001-7.png"
    Image.new("RGB", (64, 64), "red").save(saved)
    writer = LedgerWriter(open_at(ledger_location), tmp_path,
                          aftercare=with_aftercare(WorkSettings(thumbnails_of_saved=shared_ledger)))
    writer.submit(run_with_image(image=Image.new("RGB", (1024, 640), "blue"), prompt="unsaved"))
    writer.submit(run_with_image(path=str(saved), prompt="saved"))
    assert writer.flush(10)
    writer.close()
    rows = {row["prompt"]: row for row in read_back(ledger_location)}
    data, media_type = rows["unsaved"]["stored_thumbnail"]
    with Image.open(io.BytesIO(data)) as preview:
        assert media_type == "image/jpeg" and preview.size == (256, 160)
    assert rows["unsaved"]["image_path"] is None and rows["unsaved"]["thumbnail_path"] is None
    assert not list(tmp_path.glob("thumbnails/**/*.jpg"))  # nothing beside the ledger any more
    assert (rows["saved"]["stored_thumbnail"] is not None) is shared_ledger
    assert rows["saved"]["image_sha256"] == sha256_of_file(saved)


def test_thumbnails_can_be_turned_off(tmp_path: Path) -> None:
    writer = LedgerWriter(open_at(tmp_path / "ledger.sqlite"), tmp_path,
                          aftercare=with_aftercare(WorkSettings(thumbnails=False)))
    writer.submit(run_with_image(image=Image.new("RGB", (64, 64))))
    writer.close()
    assert read_back(tmp_path / "ledger.sqlite")[0]["stored_thumbnail"] is None


def test_unavailable_database_reports_once_keeps_rows_and_recovers(tmp_path: Path, caplog) -> None:
    real_open = open_at(tmp_path / "ledger.sqlite")
    available = threading.Event()

    def flaky_open() -> Ledger:
        if not available.is_set():
            raise LedgerError("ParamLab: cannot open the ledger: disk I/O error")
        return real_open()

    caplog.set_level(logging.WARNING, logger="paramlab")
    writer = LedgerWriter(flaky_open, tmp_path, retry_delays=FAST_RETRY)
    for index in range(5):
        writer.submit(run_with_image(prompt=f"waiting {index}"))
    assert not writer.flush(0.6)
    assert writer.pending == 5
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "Generation is not affected" in errors[0].getMessage()
    available.set()
    assert writer.flush(5)
    writer.close()
    assert len(read_back(tmp_path / "ledger.sqlite")) == 5
    assert any("writable again" in r.getMessage() for r in caplog.records)


def test_read_only_database_keeps_rows_until_writable(tmp_path: Path, caplog) -> None:
    path = tmp_path / "ledger.sqlite"
    Ledger.open(resolve_ledger_url(path, tmp_path)).close()  # create at the current schema
    read_only = resolve_ledger_url(f"sqlite:///file:{path}?mode=ro&uri=true", tmp_path)
    writable = threading.Event()

    def open_ledger() -> Ledger:
        return Ledger.open(resolve_ledger_url(path, tmp_path)) if writable.is_set() else Ledger.open(read_only)

    caplog.set_level(logging.ERROR, logger="paramlab")
    writer = LedgerWriter(open_ledger, tmp_path, retry_delays=FAST_RETRY)
    writer.submit(run_with_image(prompt="read-only at first"))
    assert not writer.flush(0.5)
    assert "readonly" in (writer.last_error or "").replace("-", "").lower()
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1
    writable.set()
    assert writer.flush(5)
    writer.close()
    assert [row["prompt"] for row in read_back(path)] == ["read-only at first"]


def test_briefly_locked_database_waits_instead_of_failing(tmp_path: Path, caplog) -> None:
    path = tmp_path / "ledger.sqlite"
    Ledger.open(resolve_ledger_url(path, tmp_path)).close()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    writer = LedgerWriter(open_at(path), tmp_path, retry_delays=FAST_RETRY)
    writer.submit(run_with_image(prompt="after the lock"))
    assert not writer.flush(0.5)  # held back, not failed, while another connection holds the lock
    assert writer.last_error is None
    blocker.execute("COMMIT")
    blocker.close()
    assert writer.flush(10)
    writer.close()
    assert [row["prompt"] for row in read_back(path)] == ["after the lock"]


def test_corrupt_file_is_left_alone_and_rows_spill_to_disk_then_load_next_start(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    garbage = b"this is not a database" * 10
    path.write_bytes(garbage)
    writer = LedgerWriter(open_at(path), tmp_path, retry_delays=FAST_RETRY)
    writer.submit(run_with_image(prompt="kept through a corrupt ledger"))
    writer.close(timeout=0.3)
    assert path.read_bytes() == garbage
    spills = list(tmp_path.glob("pending-*.jsonl"))
    assert len(spills) == 1

    path.unlink()  # the user moves the broken file away and restarts
    restarted = LedgerWriter(open_at(path), tmp_path, retry_delays=FAST_RETRY)
    assert restarted.flush(5)
    restarted.close()
    assert [row["prompt"] for row in read_back(path)] == ["kept through a corrupt ledger"]
    assert not list(tmp_path.glob("pending-*.jsonl"))


def test_late_file_link_is_applied(tmp_path: Path) -> None:
    saved = tmp_path / "late.png"
    Image.new("RGB", (8, 8)).save(saved)
    writer = LedgerWriter(open_at(tmp_path / "ledger.sqlite"), tmp_path, aftercare=with_aftercare())
    run = run_with_image()
    writer.submit(run)
    writer.link_file(run.images[0].image_uid, str(saved))
    writer.close()
    [row] = read_back(tmp_path / "ledger.sqlite")
    assert row["image_path"] == str(saved) and row["image_sha256"] == sha256_of_file(saved)


@pytest.mark.parametrize("count", [1, 50])
def test_submit_is_cheap_and_never_raises_on_the_calling_thread(tmp_path: Path, count: int) -> None:
    def broken_open() -> Ledger:
        raise RuntimeError("unexpected bug in opening")

    writer = LedgerWriter(broken_open, tmp_path, retry_delays=FAST_RETRY)
    for _ in range(count):
        writer.submit(run_with_image())
    assert writer.pending == count
    writer.close(timeout=0.2)


def test_ledger_file_that_goes_missing_is_not_written_blindly(tmp_path: Path, caplog) -> None:
    path = tmp_path / "ledger.sqlite"
    caplog.set_level(logging.ERROR, logger="paramlab")
    writer = LedgerWriter(open_at(path), tmp_path, retry_delays=FAST_RETRY)
    writer.submit(run_with_image(prompt="before"))
    assert writer.flush(5)
    moved = tmp_path / "moved.sqlite"
    path.rename(moved)  # e.g. the drive holding it was unmounted
    writer.submit(run_with_image(prompt="while missing"))
    assert not writer.flush(0.5)
    assert "gone missing" in (writer.last_error or "")
    moved.rename(path)
    assert writer.flush(5)
    writer.close()
    assert sorted(row["prompt"] for row in read_back(path)) == ["before", "while missing"]
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1


def test_full_disk_keeps_rows_until_space_returns(tmp_path: Path) -> None:
    from sqlalchemy import event

    path = tmp_path / "ledger.sqlite"
    Ledger.open(resolve_ledger_url(path, tmp_path)).close()
    disk_full = threading.Event()
    disk_full.set()

    def open_with_quota() -> Ledger:
        ledger = Ledger.open(resolve_ledger_url(path, tmp_path))

        @event.listens_for(ledger.engine, "connect")
        def _quota(dbapi_connection, _record) -> None:  # SQLite's own "database or disk is full" path
            if disk_full.is_set():
                pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
                dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

        ledger.engine.dispose()  # drop the connection Ledger.open pooled, so the quota applies
        return ledger

    writer = LedgerWriter(open_with_quota, tmp_path, retry_delays=FAST_RETRY)
    writer.submit(run_with_image(prompt="big " * 50_000))
    assert not writer.flush(0.5)
    assert "full" in (writer.last_error or "")
    disk_full.clear()
    assert writer.flush(5)
    writer.close()
    assert read_back(path)[0]["prompt"] == "big " * 50_000


class NotedWork:
    """Background work that only notes what the writer handed it."""

    def __init__(self, deliver) -> None:
        self.deliver = deliver
        self.images: list[str] = []
        self.files: list[tuple[str, str]] = []

    def take_images(self, images: list[ImageRecord]) -> None:
        self.images += [image.image_uid for image in images if image.pil_image is not None]

    def take_saved_file(self, image_uid: str, path: str) -> None:
        self.files.append((image_uid, path))

    def flush(self, timeout: float) -> bool:
        return True

    def close(self, timeout: float) -> int:
        return 0


def test_the_background_work_is_whatever_the_writer_is_given(tmp_path: Path) -> None:
    writer = LedgerWriter(open_at(tmp_path / "ledger.sqlite"), tmp_path, aftercare=NotedWork)
    run = run_with_image(image=Image.new("RGB", (8, 8)))
    writer.submit(run)
    writer.link_file(run.images[0].image_uid, "/late.png")
    assert writer.flush(10)
    work = writer.aftercare
    assert work.images == [run.images[0].image_uid] and run.images[0].pil_image is None  # handed over, then dropped
    assert work.files == [(run.images[0].image_uid, "/late.png")]
    writer.close()
    assert read_back(tmp_path / "ledger.sqlite")[0]["stored_thumbnail"] is None  # a writer alone makes no previews
