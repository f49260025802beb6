"""Alerts in the recorder's PostgreSQL (``--history-url postgresql://…``), tables ``alert_*``.

This is the store replicas share, and where exactly-once delivery is decided: a claim inserts the
transition with ``INSERT … ON CONFLICT DO NOTHING RETURNING seq`` in a transaction; PostgreSQL's
unique index lets exactly one of two concurrent inserts of the same ``(rule, device, point, seq)``
return a row (the other waits for the first to commit, then sees the conflict). Only that caller
updates the state row and delivers.
"""

from __future__ import annotations

import importlib
import time
from typing import Any, Final

from gateway.alerts.alert import Alert, AlertKey
from gateway.alerts.rows import from_row, key_row, to_row
from gateway.alerts.store import AlertStoreUnavailable

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS alert_states (
    rule TEXT NOT NULL, device TEXT NOT NULL, point TEXT NOT NULL, state TEXT NOT NULL,
    severity TEXT NOT NULL, value TEXT NOT NULL, since_ms BIGINT NOT NULL, ts_ms BIGINT NOT NULL,
    seq INTEGER NOT NULL, acknowledged_by TEXT, PRIMARY KEY (rule, device, point));
CREATE TABLE IF NOT EXISTS alert_transitions (
    rule TEXT NOT NULL, device TEXT NOT NULL, point TEXT NOT NULL, state TEXT NOT NULL,
    severity TEXT NOT NULL, value TEXT NOT NULL, since_ms BIGINT NOT NULL, ts_ms BIGINT NOT NULL,
    seq INTEGER NOT NULL, acknowledged_by TEXT, gateway TEXT NOT NULL, delivered_ms BIGINT,
    PRIMARY KEY (rule, device, point, seq));
CREATE INDEX IF NOT EXISTS alert_transitions_ts ON alert_transitions (ts_ms);
"""
UPSERT_STATE: Final = """
INSERT INTO alert_states AS held (
    rule, device, point, state, severity, value, since_ms, ts_ms, seq, acknowledged_by
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (rule, device, point) DO UPDATE SET
    state = excluded.state, severity = excluded.severity, value = excluded.value,
    since_ms = excluded.since_ms, ts_ms = excluded.ts_ms, seq = excluded.seq,
    acknowledged_by = excluded.acknowledged_by
WHERE excluded.seq >= held.seq
"""
INSERT_TRANSITION: Final = """
INSERT INTO alert_transitions (
    rule, device, point, state, severity, value, since_ms, ts_ms, seq, acknowledged_by, gateway
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (rule, device, point, seq) DO NOTHING RETURNING seq
"""
MARK_DELIVERED: Final = "UPDATE alert_transitions SET delivered_ms = $1 WHERE rule = $2 AND device = $3 AND point = $4 AND seq = $5"
SELECT_UNDELIVERED: Final = "SELECT rule, device, point, state, severity, value, since_ms, ts_ms, seq, acknowledged_by FROM alert_transitions WHERE gateway = $1 AND delivered_ms IS NULL AND ts_ms >= $2 ORDER BY ts_ms, seq"
SELECT_STATES: Final = "SELECT rule, device, point, state, severity, value, since_ms, ts_ms, seq, acknowledged_by FROM alert_states"
SELECT_STATE: Final = SELECT_STATES + " WHERE rule = $1 AND device = $2 AND point = $3"
SELECT_RECENT: Final = "SELECT rule, device, point, state, severity, value, since_ms, ts_ms, seq, acknowledged_by FROM alert_transitions ORDER BY ts_ms DESC, seq DESC LIMIT $1"
#: Two replicas creating the tables at the same moment can both pass ``IF NOT EXISTS`` and one
#: then fails on the catalogue's unique index; a transaction-scoped advisory lock serialises them.
SCHEMA_LOCK: Final = 0x70696777_616C  # "pigw" "al"


def _asyncpg() -> Any:
    # asyncpg ships no type information; imported by name so mypy sees it as Any (the `postgres`
    # extra: a clear error when it is missing).
    try:
        return importlib.import_module("asyncpg")
    except ImportError as exc:
        raise AlertStoreUnavailable(
            "postgresql:// needs asyncpg: pip install 'pigw[gateway,postgres]'"
        ) from exc


class PostgresAlertStore:
    def __init__(self, dsn: str, description: str) -> None:
        self._dsn = dsn
        self.description = description
        self._pool: Any = None

    async def open(self) -> None:
        asyncpg = _asyncpg()
        try:
            self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=2)
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
                await conn.execute(SCHEMA)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise AlertStoreUnavailable(f"{self.description}: {exc}") from exc

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _call(self, method: str, query: str, *args: Any) -> Any:
        asyncpg = _asyncpg()
        try:
            async with self._pool.acquire() as conn:
                return await getattr(conn, method)(query, *args)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise AlertStoreUnavailable(f"{self.description}: {exc}") from exc

    async def load(self) -> list[Alert]:
        rows = await self._call("fetch", SELECT_STATES)
        return [from_row(row) for row in rows]

    async def save(self, alert: Alert) -> None:
        await self._call("execute", UPSERT_STATE, *to_row(alert))

    async def claim(self, alert: Alert, gateway_id: str) -> bool:
        asyncpg = _asyncpg()
        row = to_row(alert)
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                inserted = await conn.fetchval(INSERT_TRANSITION, *row, gateway_id)
                if inserted is not None:
                    await conn.execute(UPSERT_STATE, *row)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise AlertStoreUnavailable(f"{self.description}: {exc}") from exc
        return inserted is not None

    async def delivered(self, alert: Alert) -> None:
        marked = (round(time.time() * 1000), *key_row(alert.key), alert.seq)
        await self._call("execute", MARK_DELIVERED, *marked)

    async def undelivered(self, gateway_id: str, since: float) -> list[Alert]:
        rows = await self._call("fetch", SELECT_UNDELIVERED, gateway_id, round(since * 1000))
        return [from_row(row) for row in rows]

    async def current(self, key: AlertKey) -> Alert | None:
        row = await self._call(
            "fetchrow",
            SELECT_STATE,
            *key_row(key),
        )
        return None if row is None else from_row(row)

    async def recent(self, limit: int) -> list[Alert]:
        rows = await self._call(
            "fetch",
            SELECT_RECENT,
            limit,
        )
        return [from_row(row) for row in rows]
