"""Alerts in the recorder's SQLite file (``--history-url sqlite:///…``), tables ``alert_*``.

The standard library's ``sqlite3`` on one thread of its own (one connection, created on that
thread), so no statement ever runs on the event loop. WAL mode and a busy timeout let it share the
file with the recorder's connections. A claim is one ``BEGIN IMMEDIATE`` transaction: the
``INSERT … ON CONFLICT DO NOTHING`` of the transition, then (only if it inserted) the state row.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final, TypeVar

from gateway.alerts.alert import Alert, AlertKey
from gateway.alerts.rows import from_row, key_row, to_row
from gateway.alerts.store import AlertStoreUnavailable

T = TypeVar("T")

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS alert_states (
    rule TEXT NOT NULL, device TEXT NOT NULL, point TEXT NOT NULL, state TEXT NOT NULL,
    severity TEXT NOT NULL, value TEXT NOT NULL, since_ms INTEGER NOT NULL, ts_ms INTEGER NOT NULL,
    seq INTEGER NOT NULL, acknowledged_by TEXT, PRIMARY KEY (rule, device, point));
CREATE TABLE IF NOT EXISTS alert_transitions (
    rule TEXT NOT NULL, device TEXT NOT NULL, point TEXT NOT NULL, state TEXT NOT NULL,
    severity TEXT NOT NULL, value TEXT NOT NULL, since_ms INTEGER NOT NULL, ts_ms INTEGER NOT NULL,
    seq INTEGER NOT NULL, acknowledged_by TEXT, gateway TEXT NOT NULL, delivered_ms BIGINT,
    PRIMARY KEY (rule, device, point, seq));
CREATE INDEX IF NOT EXISTS alert_transitions_ts ON alert_transitions (ts_ms);
"""
UPSERT_STATE: Final = """
INSERT INTO alert_states (
    rule, device, point, state, severity, value, since_ms, ts_ms, seq, acknowledged_by
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (rule, device, point) DO UPDATE SET
    state = excluded.state, severity = excluded.severity, value = excluded.value,
    since_ms = excluded.since_ms, ts_ms = excluded.ts_ms, seq = excluded.seq,
    acknowledged_by = excluded.acknowledged_by
WHERE excluded.seq >= alert_states.seq
"""
INSERT_TRANSITION: Final = """
INSERT INTO alert_transitions (
    rule, device, point, state, severity, value, since_ms, ts_ms, seq, acknowledged_by, gateway
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (rule, device, point, seq) DO NOTHING
"""
MARK_DELIVERED: Final = "UPDATE alert_transitions SET delivered_ms = ? WHERE rule = ? AND device = ? AND point = ? AND seq = ?"
SELECT_UNDELIVERED: Final = "SELECT rule, device, point, state, severity, value, since_ms, ts_ms, seq, acknowledged_by FROM alert_transitions WHERE gateway = ? AND delivered_ms IS NULL AND ts_ms >= ? ORDER BY ts_ms, seq"
SELECT_STATES: Final = "SELECT rule, device, point, state, severity, value, since_ms, ts_ms, seq, acknowledged_by FROM alert_states"
SELECT_STATE: Final = SELECT_STATES + " WHERE rule = ? AND device = ? AND point = ?"
SELECT_RECENT: Final = "SELECT rule, device, point, state, severity, value, since_ms, ts_ms, seq, acknowledged_by FROM alert_transitions ORDER BY ts_ms DESC, seq DESC LIMIT ?"


class SqliteAlertStore:
    def __init__(self, path: Path, busy_timeout_ms: int = 5000) -> None:
        self.path = path
        self.description = f"sqlite:///{path}"
        self._busy_ms = busy_timeout_ms
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pigw-alert-store")
        self._conn: sqlite3.Connection | None = None

    async def _run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            if self._conn is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, isolation_level=None)
                conn.execute(f"PRAGMA busy_timeout = {int(self._busy_ms)}")
                conn.execute("PRAGMA journal_mode = WAL")
                self._conn = conn
            return job(self._conn)

        try:
            return await asyncio.get_running_loop().run_in_executor(self._thread, call)
        except (sqlite3.Error, OSError) as exc:
            raise AlertStoreUnavailable(f"{self.description}: {exc}") from exc

    async def open(self) -> None:
        await self._run(lambda conn: conn.executescript(SCHEMA))

    async def close(self) -> None:
        def shut(conn: sqlite3.Connection) -> None:
            conn.close()
            self._conn = None

        if self._conn is not None:
            await self._run(shut)
        self._thread.shutdown(wait=True)

    async def load(self) -> list[Alert]:
        rows = await self._run(lambda conn: conn.execute(SELECT_STATES).fetchall())
        return [from_row(row) for row in rows]

    async def save(self, alert: Alert) -> None:
        await self._run(lambda conn: conn.execute(UPSERT_STATE, to_row(alert)))

    async def claim(self, alert: Alert, gateway_id: str) -> bool:
        def claim(conn: sqlite3.Connection) -> bool:
            conn.execute("BEGIN IMMEDIATE")
            try:
                inserted = conn.execute(INSERT_TRANSITION, (*to_row(alert), gateway_id)).rowcount
                if inserted:
                    conn.execute(UPSERT_STATE, to_row(alert))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return inserted == 1

        return await self._run(claim)

    async def delivered(self, alert: Alert) -> None:
        marked = (round(time.time() * 1000), *key_row(alert.key), alert.seq)
        await self._run(lambda conn: conn.execute(MARK_DELIVERED, marked))

    async def undelivered(self, gateway_id: str, since: float) -> list[Alert]:
        rows = await self._run(
            lambda conn: conn.execute(
                SELECT_UNDELIVERED, (gateway_id, round(since * 1000))
            ).fetchall()
        )
        return [from_row(row) for row in rows]

    async def current(self, key: AlertKey) -> Alert | None:
        row = await self._run(
            lambda conn: conn.execute(
                SELECT_STATE,
                key_row(key),
            ).fetchone()
        )
        return None if row is None else from_row(row)

    async def recent(self, limit: int) -> list[Alert]:
        rows = await self._run(
            lambda conn: conn.execute(
                SELECT_RECENT,
                (limit,),
            ).fetchall()
        )
        return [from_row(row) for row in rows]
