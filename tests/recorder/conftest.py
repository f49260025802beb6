"""Fixtures of the recorder's tests: a real PostgreSQL (tests/support/postgres.py) and a store of
either kind, so that the SQLite and PostgreSQL adapters pass the same test module."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.recorder.postgres_store import PostgresStore
from gateway.recorder.sqlite_store import SqliteStore
from gateway.recorder.store import HistoryStore
from tests.support.postgres import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[HistoryStore]:
    """An open, empty history store: SQLite in a temp folder, or a fresh PostgreSQL database."""
    made: HistoryStore
    if request.param == "sqlite":
        made = SqliteStore(tmp_path / "history.db")
    else:
        url = request.getfixturevalue("postgres_url")
        made = PostgresStore(url, description=url)
    await made.open()
    try:
        yield made
    finally:
        await made.close()
