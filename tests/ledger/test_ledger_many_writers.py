"""Several WebUIs (one per GPU, or one per machine of a studio) and the standalone viewer on one ledger at
the same time, on SQLite and on a real PostgreSQL server.

Real processes: every run and image lands exactly once, ids are unique, each row names the process, host
and device that wrote it, ratings from the viewer are kept, and no "database is locked" reaches anyone.
On PostgreSQL, a server restart in the middle of a run loses nothing: generation goes on, the rows wait,
the console says so once, and they are written when the server is back.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from paramlab.ledger import Ledger, schema
from paramlab.ledger.urls import resolve_ledger_url

SUPPORT = Path(__file__).resolve().parents[1] / "support"
WRITERS, RUNS, BATCHES, BATCH_SIZE = 3, 4, 3, 2


def start_webui(tmp_path: Path, name: str, ledger_location: str, runs: int, step_delay: float = 0.0
                ) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(SUPPORT / "crash_child.py"), str(tmp_path / name), ledger_location,
                             str(BATCHES), "none", str(step_delay), str(runs)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def check_exact(ledger_location: str, tmp_path: Path, writers: int, runs: int) -> None:
    ledger = Ledger.open(resolve_ledger_url(ledger_location, tmp_path))
    try:
        with ledger.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            rows = conn.execute(sa.select(schema.runs.c.status, schema.runs.c.image_count, schema.runs.c.owner,
                                          schema.runs.c.host_name, schema.runs.c.device_name)).all()
            assert len(rows) == writers * runs
            assert {row.status for row in rows} == {"ok"}
            assert {row.image_count for row in rows} == {BATCHES * BATCH_SIZE}
            assert len({row.owner for row in rows}) == writers
            assert all(row.host_name and row.device_name for row in rows)
            images = schema.images
            total, ids, uids, files, hashed = conn.execute(sa.select(
                sa.func.count(), sa.func.count(images.c.id.distinct()), sa.func.count(images.c.image_uid.distinct()),
                sa.func.count(images.c.image_path.distinct()), sa.func.count(images.c.image_sha256))).one()
            assert total == ids == uids == files == hashed == writers * runs * BATCHES * BATCH_SIZE
    finally:
        ledger.close()


def test_three_webuis_and_the_viewer_share_one_ledger(tmp_path: Path, ledger_location: str) -> None:
    stop = tmp_path / "stop-viewer"
    webuis = [start_webui(tmp_path, f"webui-{number}", ledger_location, RUNS) for number in range(WRITERS)]
    viewer = subprocess.Popen([sys.executable, str(SUPPORT / "viewer_child.py"), ledger_location, str(stop)],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        results = [webui.communicate(timeout=400) for webui in webuis]
    finally:
        stop.touch()
    viewer_out, viewer_err = viewer.communicate(timeout=120)
    for webui, (out, err) in zip(webuis, results):
        assert webui.returncode == 0 and "finished" in out, err
        assert "locked" not in err.lower() and "cannot write to the ledger" not in err, err
    assert viewer.returncode == 0, viewer_err
    seen = json.loads(viewer_out.strip().splitlines()[-1])
    assert seen["errors"] == [] and seen["rounds"] > 0

    check_exact(ledger_location, tmp_path, WRITERS, RUNS)
    ledger = Ledger.open(resolve_ledger_url(ledger_location, tmp_path))
    try:
        if seen["ratings"]:
            with ledger.engine.connect() as conn:
                rated = sa.select(sa.func.count()).select_from(schema.images).where(schema.images.c.rating.is_not(None))
                assert conn.execute(rated).scalar_one() > 0
    finally:
        ledger.close()


def test_a_server_restart_mid_run_loses_nothing_and_says_so_once(tmp_path: Path, postgres_server) -> None:
    location = postgres_server.create_database()
    try:
        webui = start_webui(tmp_path, "webui", location, runs=3, step_delay=0.05)
        assert webui.stdout.readline().strip() == "started"
        time.sleep(0.5)  # rows of the first batch are being written
        restart = threading.Thread(target=postgres_server.restart, kwargs={"down_seconds": 3.0})
        restart.start()
        out, err = webui.communicate(timeout=400)
        restart.join()
        assert webui.returncode == 0 and "finished" in out, err
        lines = err.splitlines()
        failures = [line for line in lines if "cannot write to the ledger" in line]
        assert len(failures) == 1, err
        assert "Generation is not affected" in failures[0] and "will be retried" in failures[0]
        assert sum("the ledger is writable again" in line for line in lines) == 1, err
        check_exact(location, tmp_path, writers=1, runs=3)
    finally:
        postgres_server.drop_database(location)
