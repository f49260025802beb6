"""A gateway on the SQLite recorder (the default) never imports asyncpg: the PostgreSQL store loads
it when it opens (asyncpg costs ~4 MB of RSS, and issue 14 asks for ≤ 80 MB at 1,000 streams).
Checked in a fresh interpreter, since this test process may have loaded asyncpg for other tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gateway.recorder.postgres_store import classify
from gateway.recorder.store import StoreUnavailable

SQLITE_GATEWAY = """
import asyncio, sys
import gateway.app, gateway.server, gateway.runtime
from gateway.recorder.factory import build_store
from gateway.recorder.url import parse_history_url
store = build_store(parse_history_url({url!r}))
asyncio.run(store.open())
asyncio.run(store.close())
print("asyncpg" in sys.modules)
"""


def test_a_gateway_on_sqlite_does_not_load_asyncpg(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    done = subprocess.run(
        [sys.executable, "-c", SQLITE_GATEWAY.format(url=url)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"
    assert (tmp_path / "history.db").exists()  # the store really opened


def test_errors_are_still_classified_without_asyncpg_types() -> None:
    assert classify(ConnectionRefusedError("refused")).cause == "connection"
    assert classify(TimeoutError()).cause == "connection"
    other = classify(ValueError("odd"))
    assert isinstance(other, StoreUnavailable) and other.cause == "other"
