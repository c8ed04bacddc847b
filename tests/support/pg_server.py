"""A real PostgreSQL server for the tests: initdb into a temporary folder, a free port on 127.0.0.1.

One server per test session (started on first use, stopped at the end); each test gets a fresh database
copied from a template that is already migrated to the current schema, which takes milliseconds where
migrating an empty database would take a second. As root, the server runs as the ``postgres`` user
(PostgreSQL refuses to run as root). A server that cannot start raises :class:`PostgresUnavailable`
with the reason, so the tests that need it fail and say why; they are never skipped.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

TEMPLATE = "paramlab_template"
SUPERUSER = "paramlab"
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    # Tests check what the ledger does, not the disk: skipping fsync saves seconds on every database created.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "32MB",
}


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be started here; the message says what is missing and how to get it."""


def postgres_bin_dir() -> Path:
    """Where initdb and pg_ctl are: $PARAMLAB_PG_BIN, Debian's /usr/lib/postgresql/<newest>/bin, or PATH."""
    candidates = [os.environ.get("PARAMLAB_PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    found = shutil.which("initdb")
    candidates.append(str(Path(found).parent) if found else "")
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    raise PostgresUnavailable(
        "PostgreSQL's initdb and pg_ctl were not found (looked in $PARAMLAB_PG_BIN, /usr/lib/postgresql/*/bin and "
        "PATH). Install Debian's 'postgresql' package (./dev.sh test does this) or set PARAMLAB_PG_BIN."
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One throw-away cluster. ``url(name)`` gives the SQLAlchemy URL of a database in it."""

    def __init__(self, *, durable: bool = False) -> None:
        """``durable``: fsync and synchronous commits as in production (benchmarks); tests skip them."""
        self.settings = dict(SERVER_SETTINGS)
        if durable:
            for key in ("fsync", "synchronous_commit", "full_page_writes"):
                self.settings.pop(key)
        self.bin_dir = postgres_bin_dir()
        self.run_as = self._service_user()
        self.root = Path(tempfile.mkdtemp(prefix="paramlab-pg-"))
        self.data_dir = self.root / "data"
        self.log_file = self.root / "server.log"
        self.port = free_port()
        self._names = itertools.count(1)
        if self.run_as is not None:
            os.chown(self.root, self.run_as.pw_uid, self.run_as.pw_gid)

    @staticmethod
    def _service_user() -> pwd.struct_passwd | None:
        """None when we are not root; else the ``postgres`` account, since PostgreSQL refuses to run as root."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(os.environ.get("PARAMLAB_PG_USER", "postgres"))
        except KeyError as exc:
            raise PostgresUnavailable(
                "The tests run as root and PostgreSQL refuses to: there is no 'postgres' user to run it as. "
                "Install Debian's 'postgresql' package (it creates one) or set PARAMLAB_PG_USER."
            ) from exc

    def _command(self, *args: str) -> list[str]:
        prefix = ["runuser", "-u", self.run_as.pw_name, "--"] if self.run_as is not None else []
        return [*prefix, *args]

    def _run(self, *args: str, timeout: float = 120) -> None:
        result = subprocess.run(self._command(*args), capture_output=True, text=True, timeout=timeout,
                                cwd=self.root, check=False)
        if result.returncode != 0:
            log = self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
            raise PostgresUnavailable(
                f"PostgreSQL: `{' '.join(args)}` failed ({result.returncode}): "
                f"{(result.stderr or result.stdout).strip()[-2000:]}\n{log}"
            )

    def start(self) -> PostgresServer:
        started = time.monotonic()
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER, "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync")
        self._start_server()
        self.startup_seconds = time.monotonic() - started
        return self

    def _start_server(self) -> None:
        options = " ".join(f"-c {key}={value}" for key, value in self.settings.items())
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60",
                  "-o", f"-p {self.port} -k {self.root} {options}", "start")

    def restart(self, down_seconds: float = 0.0) -> None:
        """Stop (dropping every connection), stay down a while, and start again on the same port."""
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        time.sleep(down_seconds)
        self._start_server()

    def stop(self) -> None:
        if self.data_dir.exists():
            subprocess.run(self._command(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate",
                                         "-w", "stop"), capture_output=True, timeout=60, check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(sql)

    def create_template(self) -> None:
        """A database migrated to the current schema, copied for each test."""
        from paramlab.ledger import Ledger
        from paramlab.ledger.urls import resolve_ledger_url

        self._admin(f"CREATE DATABASE {TEMPLATE}")
        Ledger.open(resolve_ledger_url(self.url(TEMPLATE), Path(self.root))).close()

    def create_empty_database(self, name: str) -> str:
        self._admin(f"CREATE DATABASE {name}")
        return self.url(name)

    def create_database(self, *, migrated: bool = True) -> str:
        """A fresh database (from the template when ``migrated``, else empty); returns its URL."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        source = TEMPLATE if migrated else "template0"
        self._admin(f"CREATE DATABASE {name} TEMPLATE {source} STRATEGY FILE_COPY")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
