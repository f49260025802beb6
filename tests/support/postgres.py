"""A real PostgreSQL 15 for tests: ``initdb`` into a temporary folder, a free loopback port.

Debian's ``postgresql-15`` (installed by ``scripts/ensure-system-deps.sh test``) refuses to run as
root, so the server runs as the ``postgres`` user through ``runuser`` when the tests run as root,
with its data folder owned by that user (outside pytest's ``tmp_path``, which only root may enter).
It listens on 127.0.0.1 and on a unix socket in its own folder, never on the system's 5432, and is
stopped by its postmaster's pid (SIGINT: PostgreSQL's fast shutdown).

Use it through the fixtures (import them into a ``conftest.py``)::

    from tests.support.postgres import postgres_server, postgres_url  # noqa: F401

``postgres_server`` (session scope) is one server for the whole run (it starts in about a second);
``postgres_url`` gives each test a fresh, empty database on it as a ``postgresql://`` URL.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ports import free_port, wait_for_port
from tests.support.waiting import wait_until

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SUPERUSER = "postgres"


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pigw-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.log_path = self.root / "postgres.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SUPERUSER)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self._as_user = ["runuser", "-u", SUPERUSER, "--"]

    def start(self) -> PostgresServer:
        if not (PG_BIN / "postgres").exists():
            raise RuntimeError(f"{PG_BIN}/postgres missing: run scripts/ensure-system-deps.sh test")
        subprocess.run(
            [*self._as_user, str(PG_BIN / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
             "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"],
            check=True, capture_output=True,
        )  # fmt: skip
        log = self.log_path.open("ab")
        try:
            self.proc = subprocess.Popen(
                [*self._as_user, str(PG_BIN / "postgres"), "-D", str(self.data),
                 "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
                 "-c", f"unix_socket_directories={self.root}", "-c", "fsync=off",
                 "-c", "max_connections=200"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        finally:
            log.close()
        wait_for_port(self.port, timeout=30)
        wait_until(self._accepts_queries, 30, "PostgreSQL to accept queries")
        return self

    def _accepts_queries(self) -> bool:
        done = subprocess.run(
            [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
            capture_output=True,
            check=False,
        )
        return done.returncode == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run one SQL statement with ``psql``; its output (unaligned, tuples only)."""
        done = subprocess.run(
            [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER,
             "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return done.stdout

    def create_database(self) -> str:
        """A new empty database; its URL."""
        name = f"pigw_test_{next(self._names)}"
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)

    @property
    def pid(self) -> int | None:
        """The postmaster's pid (from ``postmaster.pid``; ``runuser`` is its parent)."""
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        pid = self.pid
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)  # fast shutdown
        if self.proc is not None:
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL 15 for the whole test run, stopped at the end."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh empty database on the session's PostgreSQL, as a ``postgresql://`` URL."""
    return postgres_server.create_database()
