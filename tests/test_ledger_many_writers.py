"""Two WebUIs (one per GPU is common) and the standalone viewer on one SQLite ledger at the same time.

Real processes, real SQLite (WAL, busy timeout, BEGIN IMMEDIATE): every run and image lands exactly
once, ids are unique, ratings from the viewer are kept, and no "database is locked" reaches anyone.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
RUNS, BATCHES, BATCH_SIZE = 6, 3, 2


def test_two_webuis_and_the_viewer_share_one_ledger(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    stop = tmp_path / "stop-viewer"
    webuis = [
        subprocess.Popen([sys.executable, str(TESTS / "crash_child.py"), str(tmp_path / f"webui-{gpu}"), str(ledger),
                          str(BATCHES), "none", "0", str(RUNS)],
                         cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for gpu in (0, 1)
    ]
    viewer = subprocess.Popen([sys.executable, str(TESTS / "viewer_child.py"), str(ledger), str(stop)],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        results = [webui.communicate(timeout=300) for webui in webuis]
    finally:
        stop.touch()
    viewer_out, viewer_err = viewer.communicate(timeout=120)
    for webui, (out, err) in zip(webuis, results):
        assert webui.returncode == 0 and "finished" in out, err
        assert "locked" not in err.lower() and "cannot write to the ledger" not in err, err
    assert viewer.returncode == 0, viewer_err
    seen = json.loads(viewer_out.strip().splitlines()[-1])
    assert seen["errors"] == [] and seen["rounds"] > 0

    connection = sqlite3.connect(ledger)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        runs = connection.execute("SELECT status, image_count, owner FROM runs").fetchall()
        assert len(runs) == 2 * RUNS
        assert {status for status, _count, _owner in runs} == {"ok"}
        assert {count for _status, count, _owner in runs} == {BATCHES * BATCH_SIZE}
        assert len({owner for _status, _count, owner in runs}) == 2
        total, distinct_ids, distinct_uids, distinct_files = connection.execute(
            "SELECT count(*), count(DISTINCT id), count(DISTINCT image_uid), count(DISTINCT image_path) FROM images"
        ).fetchone()
        assert total == distinct_ids == distinct_uids == distinct_files == 2 * RUNS * BATCHES * BATCH_SIZE
        assert connection.execute("SELECT count(*) FROM images WHERE image_sha256 IS NULL").fetchone()[0] == 0
        if seen["ratings"]:
            assert connection.execute("SELECT count(*) FROM images WHERE rating IS NOT NULL").fetchone()[0] > 0
    finally:
        connection.close()
