"""Reading an agent's SQLite outbox from a test while the agent runs (WAL readers do not block its
writer): what it made, as the agent's own record."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from tests.support.waiting import wait_until


def outbox_seqs(path: Path) -> list[int]:
    """Every seq the agent's outbox holds, ascending (the agent may be running: WAL readers do
    not block its writer)."""
    with closing(_open(path)) as db:
        return [row[0] for row in db.execute("SELECT seq FROM states ORDER BY seq")]


def outbox_top(path: Path) -> int:
    """The highest seq the outbox holds (-1 when empty)."""
    if not path.exists():
        return -1
    with closing(_open(path)) as db:
        top = db.execute("SELECT MAX(seq) FROM states").fetchone()[0]
    return -1 if top is None else int(top)


def outbox_rate(path: Path) -> float:
    """State messages per second the agent made, from the outbox's own timestamps."""
    with closing(_open(path)) as db:
        count, first, last = db.execute(
            "SELECT COUNT(*), MIN(ts_ms), MAX(ts_ms) FROM states"
        ).fetchone()
    return 0.0 if count < 2 else (count - 1) / ((last - first) / 1000)


def _open(path: Path) -> sqlite3.Connection:
    # mode=rw: never create the file (the agent must find it absent or its own).
    return sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=10)


def wait_for_readings(path: Path, more: int, timeout: float = 30) -> int:
    """Wait until the outbox holds ``more`` seqs beyond what it holds now; return the new top."""
    start = outbox_top(path)
    return wait_until(
        lambda: (top := outbox_top(path)) >= start + more and top,
        timeout,
        f"{more} more readings in the agent's outbox",
    )
