"""Another program opening the ledger must never cost a committed row (real processes, real SQLite).

On POSIX, closing ANY descriptor of a file drops every lock the process holds on it. A plain
``open()``/``close()`` of the ledger in a process that has SQLite connections to it makes SQLite's
locks vanish; the next program that opens and closes the ledger then believes it is the last user,
checkpoints, and deletes the ``-wal`` the first process is still writing into.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# The writer: two Ledgers (as the WebUI has: the writer's and the UI's), one row per line on stdin.
WRITER = textwrap.dedent("""
    import os, sys
    from paramlab.ledger import Ledger, ImageRecord, RunRecord
    from paramlab.ledger.urls import resolve_ledger_url
    url = resolve_ledger_url(sys.argv[1], None)
    first = Ledger.open(url)
    second = Ledger.open(url)
    written = 0
    for line in sys.stdin:
        command = line.strip()
        if command == "write":
            ledger = first if written % 2 else second
            ledger.write_runs([RunRecord(tab="txt2img", source="api",
                                         images=[ImageRecord(index_in_run=0, prompt=f"row {written}")])])
            written += 1
            print(written, flush=True)
        elif command == "exit":
            os._exit(0)
        elif command == "wait-for-kill":
            print("waiting", flush=True)
            sys.stdin.readline()
""")


def start_writer(ledger_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(ledger_path)], cwd=REPO, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def tell(process: subprocess.Popen[str], command: str) -> str:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(command + "\n")
    process.stdin.flush()
    answer = process.stdout.readline().strip()
    assert answer, process.stderr.read() if process.stderr else "writer died"
    return answer


def open_with_cli(path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "paramlab", "--db", str(path), "profiles", "list"],
                            cwd=REPO, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr


def open_with_plain_sqlite(path: Path) -> None:
    code = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
            "print(c.execute('select count(*) from images').fetchone()[0]); c.close()")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True, timeout=60)


def open_with_ledger_api(path: Path) -> None:
    code = ("import sys; from paramlab.ledger import Ledger; from paramlab.ledger.urls import resolve_ledger_url; "
            "ledger = Ledger.open(resolve_ledger_url(sys.argv[1], None)); ledger.counts(); ledger.close()")
    subprocess.run([sys.executable, "-c", code, str(path)], cwd=REPO, check=True, capture_output=True, timeout=60)


def rows_on_disk(path: Path) -> int:
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return connection.execute("SELECT count(*) FROM images").fetchone()[0]
    finally:
        connection.close()


@pytest.mark.parametrize("other", [open_with_cli, open_with_plain_sqlite, open_with_ledger_api],
                         ids=["cli", "sqlite3", "ledger"])
@pytest.mark.parametrize("ending", ["os._exit", "SIGKILL"])
def test_rows_committed_while_another_program_opens_the_ledger_survive_a_hard_exit(
    tmp_path: Path, other, ending: str,
) -> None:
    path = tmp_path / "ledger.sqlite"
    writer = start_writer(path)
    try:
        for _ in range(3):
            tell(writer, "write")
        other(path)  # opens and closes the ledger while the writer holds it
        for _ in range(7):
            committed = int(tell(writer, "write"))
        other(path)
        committed = int(tell(writer, "write"))
        if ending == "os._exit":
            writer.stdin.write("exit\n")
            writer.stdin.flush()
        else:
            tell(writer, "wait-for-kill")
            os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert committed == 11
    assert rows_on_disk(path) == committed


def test_a_new_ledger_opened_by_several_at_once_opens_for_all(tmp_path: Path) -> None:
    """The WebUI's writer and a request (or two WebUIs) opening a brand-new ledger at the same moment.

    SQLite does not wait on its busy timeout while a new file switches to WAL; without a retry about
    one opening in a hundred answered "database is locked" (and the API a 503).
    """
    import threading

    from paramlab.ledger import Ledger
    from paramlab.ledger.urls import resolve_ledger_url

    failures: list[str] = []

    def open_once(url) -> None:
        try:
            Ledger.open(url).close()
        except Exception as exc:  # noqa: BLE001 - every failure is the finding
            failures.append(str(exc))

    for trial in range(150):
        url = resolve_ledger_url(str(tmp_path / f"new-{trial}.db"), None)
        threads = [threading.Thread(target=open_once, args=(url,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
