"""The shared history store: PostgreSQL 15+ through asyncpg (``postgresql://…``).

Replicas of the gateway write to one database, each receiving the same MQTT messages, so each
reading arrives once per replica: ``history_readings`` has the primary key ``(device_id, seq)`` and
a batch goes in with ``INSERT … ON CONFLICT DO NOTHING RETURNING``: only the rows this transaction
really inserted come back, and only those are folded into the buckets, in the same transaction. A
second replica's copy returns nothing and counts nowhere. Rows are inserted, and buckets upserted,
in key order, so two replicas' transactions wait for each other instead of deadlocking.

Coverage runs are computed from the primary key (gaps and islands) when asked: replicas cannot
share an in-memory run set, and the index answers it without reading the table.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Sequence
from typing import Any

from gateway.recorder.bucketing import coarsen, fold
from gateway.recorder.raw_json import SQL_TS_MIN, RawJson
from gateway.recorder.records import (
    HOUR_MS,
    MINUTE_MS,
    AuditEntry,
    Bucket,
    DeviceReading,
    PointRef,
    PointRole,
    RawReading,
    Reading,
    RecordedValue,
    SeqRun,
    Tier,
    WriteResult,
)
from gateway.recorder.retention import plan_retention
from gateway.recorder.store import (
    SCHEMA_VERSION,
    RetentionLimits,
    RetentionResult,
    StoreHealth,
    StoreUnavailable,
)


def _loaded_asyncpg() -> Any:
    """asyncpg if a store has imported it, else None. It is imported by :meth:`PostgresStore.open`
    only (the `postgres` extra), so a gateway on SQLite never pays its ~4 MB of RSS; and an
    exception cannot be one of asyncpg's before asyncpg is loaded."""
    return sys.modules.get("asyncpg")


SCHEMA = """
CREATE TABLE IF NOT EXISTS history_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS history_devices (id SERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS history_points (
    id SERIAL PRIMARY KEY, device_id INTEGER NOT NULL REFERENCES history_devices(id),
    role TEXT NOT NULL, name TEXT NOT NULL, boolean BOOLEAN NOT NULL DEFAULT false,
    UNIQUE (device_id, role, name));
CREATE TABLE IF NOT EXISTS history_readings (
    device_id INTEGER NOT NULL, seq BIGINT NOT NULL, point_id INTEGER NOT NULL,
    ts BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL, PRIMARY KEY (device_id, seq));
CREATE INDEX IF NOT EXISTS history_readings_point_ts ON history_readings (point_id, ts);
CREATE TABLE IF NOT EXISTS history_minute (
    point_id INTEGER NOT NULL, ts BIGINT NOT NULL, min DOUBLE PRECISION NOT NULL,
    max DOUBLE PRECISION NOT NULL, total DOUBLE PRECISION NOT NULL, count BIGINT NOT NULL,
    last DOUBLE PRECISION NOT NULL, last_ts BIGINT NOT NULL, PRIMARY KEY (point_id, ts));
CREATE TABLE IF NOT EXISTS history_hour (
    point_id INTEGER NOT NULL, ts BIGINT NOT NULL, min DOUBLE PRECISION NOT NULL,
    max DOUBLE PRECISION NOT NULL, total DOUBLE PRECISION NOT NULL, count BIGINT NOT NULL,
    last DOUBLE PRECISION NOT NULL, last_ts BIGINT NOT NULL, PRIMARY KEY (point_id, ts));
CREATE TABLE IF NOT EXISTS history_audit (
    id BIGSERIAL PRIMARY KEY, ts BIGINT NOT NULL, principal TEXT NOT NULL, device TEXT NOT NULL,
    actuator TEXT NOT NULL, value JSONB, cid TEXT, status TEXT NOT NULL, error TEXT,
    latency_ms DOUBLE PRECISION, via TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS history_audit_ts ON history_audit (ts);
"""

UPSERT_BUCKETS = """
INSERT INTO {table} AS b (point_id, ts, min, max, total, count, last, last_ts)
SELECT * FROM unnest($1::int[], $2::bigint[], $3::float8[], $4::float8[], $5::float8[],
                     $6::bigint[], $7::float8[], $8::bigint[])
ON CONFLICT (point_id, ts) DO UPDATE SET
    min = least(b.min, excluded.min), max = greatest(b.max, excluded.max),
    total = b.total + excluded.total, count = b.count + excluded.count,
    last = CASE WHEN excluded.last_ts >= b.last_ts THEN excluded.last ELSE b.last END,
    last_ts = greatest(b.last_ts, excluded.last_ts)
"""

INSERT_READINGS = """
INSERT INTO history_readings (device_id, seq, point_id, ts, value)
SELECT * FROM unnest($1::int[], $2::bigint[], $3::int[], $4::bigint[], $5::float8[])
ON CONFLICT DO NOTHING
RETURNING point_id, ts, value
"""

BUCKET_TABLES = {Tier.MINUTE: "history_minute", Tier.HOUR: "history_hour"}
TIER_TABLES = {Tier.RAW: "history_readings", **BUCKET_TABLES}
POINT = (
    "SELECT p.id, p.boolean FROM history_points p JOIN history_devices d ON d.id = p.device_id "
    "WHERE d.name = $1 AND p.role = $2 AND p.name = $3"
)
#: A value as Python's ``float.__repr__`` writes it, or NULL where PostgreSQL's text may differ
#: (docs/history.md): with ``extra_float_digits = 1`` (set on the pool) ``float8::text`` is the
#: shortest round-trip text, as ``repr``, except that integral values lack ``.0``, that it switches
#: to an exponent from 1e15 (Python from 1e16), that some integral values of 1e16 and more come with
#: 17 digits where ``repr`` has fewer (found by tests/recorder/test_raw_json.py), and NaN/Infinity
#: (which JSON refuses). So only |v| < 1e15 is written here; NaN is not less than anything.
NUMBER_TEXT = """CASE WHEN abs(value) < 1e15::float8 THEN
    CASE WHEN value = trunc(value) THEN value::text || '.0' ELSE value::text END
END"""
#: ``ts * interval '1 millisecond'`` is computed in a float8 (interval_mul), exact while the
#: microseconds fit in its 53 bits: up to 2255-06-05. Later windows go the general path.
PG_TS_MAX = 2**53 // 1000
BOOLEAN_TEXT = "CASE WHEN value <> 0 THEN 'true' ELSE 'false' END"
#: ``step=raw``'s readings array built by the server (issue 14), each reading as the JSON object
#: ``iso_ms`` and ``json.dumps`` wrote: the newest ``$4`` of the window, joined oldest first;
#: ``exact < kept`` says a value had no exact text (a NULL fragment), ``$5`` where the seqs for the
#: ring merge start. The rows are scanned oldest first from an offset (``total`` counts the
#: window, from the index alone) rather than newest first with ``LIMIT``, and the aggregates take
#: them in the subquery's order (no ``ORDER BY`` of their own): each of those sorts cost a third of
#: the answer's time (measured). PostgreSQL feeds an aggregate in its input's order when the outer
#: level has no join or grouping (docs: 4.2.7, "supplying the input values from a sorted
#: subquery"), and the ``OFFSET`` keeps the aggregate out of a parallel plan;
#: tests/recorder/test_raw_json.py checks the order against ``readings()``.
READINGS_JSON = """
WITH total AS (
    SELECT count(*) AS held FROM history_readings WHERE point_id = $1 AND ts BETWEEN $2 AND $3)
SELECT count(*), count(fragment), string_agg(fragment, ','),
       array_agg(seq) FILTER (WHERE ts >= $5), max(ts), (SELECT held FROM total) > $4
FROM (SELECT ts, seq,
             '{{"value":' || {value} || ',"ts":"'
             || to_char(timestamp 'epoch' + ts * interval '1 millisecond',
                        'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
             || '","seq":' || seq || '}}' AS fragment
      FROM history_readings WHERE point_id = $1 AND ts BETWEEN $2 AND $3
      ORDER BY ts, seq OFFSET greatest((SELECT held FROM total) - $4, 0)) newest
"""
#: A lock id for schema creation: replicas starting together create the tables once.
SCHEMA_LOCK = 0x70696777


def classify(exc: BaseException) -> StoreUnavailable:
    text = str(exc) or type(exc).__name__
    asyncpg = _loaded_asyncpg()
    if asyncpg is not None and isinstance(exc, asyncpg.DiskFullError):
        cause = "disk_full"
    elif (
        isinstance(exc, OSError | ConnectionError)
        or (
            asyncpg is not None
            and isinstance(
                exc,
                asyncpg.ConnectionDoesNotExistError
                | asyncpg.CannotConnectNowError
                | asyncpg.InterfaceError,
            )
        )
        or isinstance(exc, TimeoutError)
    ):
        cause = "connection"
    else:
        cause = "other"
    return StoreUnavailable(cause, text)


def _value(raw: float, boolean: bool) -> RecordedValue:
    if boolean:
        return raw != 0
    return int(raw) if raw.is_integer() and abs(raw) < 2**53 else raw


class PostgresStore:
    """The :class:`~gateway.recorder.store.HistoryStore` on a PostgreSQL database."""

    def __init__(self, dsn: str, *, description: str, pool_size: int = 4) -> None:
        self.dsn = dsn
        self.description = description
        self._pool_size = pool_size
        self._pool: Any = None
        self._device_ids: dict[str, int] = {}
        self._point_ids: dict[tuple[str, PointRole, str], int] = {}

    async def _run(self, job: Any) -> Any:
        if self._pool is None:
            raise StoreUnavailable("connection", "the store is not open")
        try:
            async with self._pool.acquire() as conn:
                return await job(conn)
        except StoreUnavailable:
            raise
        except (OSError, TimeoutError) as exc:
            raise classify(exc) from exc
        except Exception as exc:
            asyncpg = _loaded_asyncpg()
            if asyncpg is not None and isinstance(
                exc, asyncpg.PostgresError | asyncpg.InterfaceError
            ):
                raise classify(exc) from exc
            raise

    async def open(self) -> None:
        try:  # by name: asyncpg ships no type information (mypy sees Any)
            asyncpg = importlib.import_module("asyncpg")
        except ImportError:
            raise StoreUnavailable(
                "other", "asyncpg is missing: pip install 'pigw[postgres]'"
            ) from None
        try:
            self._pool = await asyncpg.create_pool(
                self.dsn,
                min_size=1,
                max_size=self._pool_size,
                command_timeout=30,
                # READINGS_JSON's value text is exact with this (the default), whatever the server
                # or database says
                server_settings={"extra_float_digits": "1"},
            )
        except (OSError, TimeoutError) as exc:
            raise classify(exc) from exc
        except asyncpg.PostgresError as exc:
            raise classify(exc) from exc

        async def create(conn: Any) -> None:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
                await conn.execute(SCHEMA)
                version = await conn.fetchval("SELECT version FROM history_schema")
                if version is None:
                    await conn.execute(
                        "INSERT INTO history_schema (version) VALUES ($1)", SCHEMA_VERSION
                    )
                elif version != SCHEMA_VERSION:
                    raise StoreUnavailable(
                        "other", f"the database has history schema {version}, not {SCHEMA_VERSION}"
                    )

        await self._run(create)

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    # --- writing ----------------------------------------------------------------------------
    async def _ids(self, conn: Any, readings: Sequence[Reading]) -> None:
        for reading in readings:
            key = (reading.device, reading.role, reading.point)
            if key in self._point_ids:
                continue
            device_id = self._device_ids.get(reading.device)
            if device_id is None:
                device_id = await conn.fetchval(
                    "INSERT INTO history_devices (name) VALUES ($1) ON CONFLICT (name) "
                    "DO UPDATE SET name = excluded.name RETURNING id",
                    reading.device,
                )
                self._device_ids[reading.device] = device_id
            self._point_ids[key] = await conn.fetchval(
                "INSERT INTO history_points (device_id, role, name, boolean) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (device_id, role, name) DO UPDATE SET name = excluded.name RETURNING id",
                device_id,
                reading.role,
                reading.point,
                isinstance(reading.value, bool),
            )

    async def write(self, readings: Sequence[Reading]) -> WriteResult:
        async def job(conn: Any) -> WriteResult:
            await self._ids(conn, readings)
            rows = sorted(
                {
                    (self._device_ids[r.device], r.seq): (
                        self._point_ids[(r.device, r.role, r.point)],
                        r.ts_ms,
                        float(r.value),
                    )
                    for r in readings
                }.items()
            )
            async with conn.transaction():
                inserted = await conn.fetch(
                    INSERT_READINGS,
                    [k[0] for k, _ in rows],
                    [k[1] for k, _ in rows],
                    [v[0] for _, v in rows],
                    [v[1] for _, v in rows],
                    [v[2] for _, v in rows],
                )
                triples = [(r[0], r[1], r[2]) for r in inserted]
                minutes = fold(triples, MINUTE_MS)
                for tier, tier_buckets in (
                    (Tier.MINUTE, minutes),
                    (Tier.HOUR, coarsen(minutes, HOUR_MS)),
                ):
                    folded = sorted(tier_buckets.items())
                    if not folded:
                        continue
                    await conn.execute(
                        UPSERT_BUCKETS.format(table=BUCKET_TABLES[tier]),
                        [k[0] for k, _ in folded],
                        [k[1] for k, _ in folded],
                        [b.min for _, b in folded],
                        [b.max for _, b in folded],
                        [b.total for _, b in folded],
                        [b.count for _, b in folded],
                        [b.last for _, b in folded],
                        [b.last_ts for _, b in folded],
                    )
            return WriteResult(len(inserted), len(readings) - len(inserted))

        result: WriteResult = await self._run(job)
        return result

    async def last_seqs(self) -> dict[str, int]:
        async def job(conn: Any) -> dict[str, int]:
            rows = await conn.fetch(
                "SELECT d.name, (SELECT max(seq) FROM history_readings r WHERE r.device_id = d.id) "
                "FROM history_devices d"
            )
            return {name: int(top) for name, top in rows if top is not None}

        result: dict[str, int] = await self._run(job)
        return result

    async def seq_runs(self, device: str) -> list[SeqRun]:
        async def job(conn: Any) -> list[SeqRun]:
            rows = await conn.fetch(
                "SELECT min(seq), max(seq) FROM (SELECT seq, seq - row_number() OVER "
                "(ORDER BY seq) AS island FROM history_readings r JOIN history_devices d "
                "ON d.id = r.device_id WHERE d.name = $1) s GROUP BY island ORDER BY 1",
                device,
            )
            return [SeqRun(int(lo), int(hi)) for lo, hi in rows]

        result: list[SeqRun] = await self._run(job)
        return result

    # --- reading ----------------------------------------------------------------------------
    async def has_point(self, ref: PointRef) -> bool:
        async def job(conn: Any) -> bool:
            return await conn.fetchrow(POINT, ref.device, ref.role, ref.point) is not None

        result: bool = await self._run(job)
        return result

    async def has_device(self, device: str) -> bool:
        async def job(conn: Any) -> bool:
            found = await conn.fetchval("SELECT 1 FROM history_devices WHERE name = $1", device)
            return found is not None

        result: bool = await self._run(job)
        return result

    async def readings(
        self, ref: PointRef, start_ms: int, end_ms: int, limit: int
    ) -> tuple[list[RawReading], bool]:
        async def job(conn: Any) -> tuple[list[RawReading], bool]:
            found = await conn.fetchrow(POINT, ref.device, ref.role, ref.point)
            if found is None:
                return [], False
            rows = await conn.fetch(
                "SELECT ts, value, seq FROM history_readings WHERE point_id = $1 "
                "AND ts BETWEEN $2 AND $3 ORDER BY ts DESC, seq DESC LIMIT $4",
                found[0], start_ms, end_ms, limit + 1,
            )  # fmt: skip
            boolean = found[1]
            out = [RawReading(r[0], r[1] != 0 if boolean else r[1], r[2]) for r in rows[:limit]]
            out.reverse()
            return out, len(rows) > limit

        result: tuple[list[RawReading], bool] = await self._run(job)
        return result

    async def readings_json(
        self, ref: PointRef, start_ms: int, end_ms: int, limit: int, seqs_from_ms: int
    ) -> RawJson:
        async def job(conn: Any) -> RawJson | None:
            found = await conn.fetchrow(POINT, ref.device, ref.role, ref.point)
            if found is None:
                return RawJson("[]", 0, False, None, [])
            row = await conn.fetchrow(
                READINGS_JSON.format(value=BOOLEAN_TEXT if found[1] else NUMBER_TEXT),
                found[0], start_ms, end_ms, limit, seqs_from_ms,
            )  # fmt: skip
            kept, exact, text, seqs, last_ts, truncated = row
            if exact < kept:  # a value PostgreSQL writes otherwise than Python: the general path
                return None
            return RawJson(f"[{text or ''}]", kept, truncated, last_ts, seqs or [])

        answer: RawJson | None = None
        if SQL_TS_MIN <= start_ms <= end_ms <= PG_TS_MAX:  # to_char is exact in here only
            answer = await self._run(job)
        if answer is None:
            got, truncated = await self.readings(ref, start_ms, end_ms, limit)
            return RawJson.from_readings(got, truncated, seqs_from_ms)
        return answer

    async def buckets(
        self, ref: PointRef, tier: Tier, start_ms: int, end_ms: int, limit: int
    ) -> tuple[list[Bucket], bool]:
        table = BUCKET_TABLES[tier]

        async def job(conn: Any) -> tuple[list[Bucket], bool]:
            found = await conn.fetchrow(POINT, ref.device, ref.role, ref.point)
            if found is None:
                return [], False
            rows = await conn.fetch(
                f"SELECT ts, min, max, total, last, count FROM {table} WHERE point_id = $1 "  # noqa: S608 - fixed map
                "AND ts BETWEEN $2 AND $3 ORDER BY ts DESC LIMIT $4",
                found[0], start_ms, end_ms, limit + 1,
            )  # fmt: skip
            out = [Bucket(r[0], r[1], r[2], r[3] / r[5], r[4], r[5]) for r in rows[:limit]]
            out.reverse()
            return out, len(rows) > limit

        result: tuple[list[Bucket], bool] = await self._run(job)
        return result

    async def count_estimate(self, ref: PointRef, start_ms: int, end_ms: int) -> int:
        async def job(conn: Any) -> int:
            found = await conn.fetchrow(POINT, ref.device, ref.role, ref.point)
            if found is None:
                return 0
            total = await conn.fetchval(
                "SELECT coalesce(sum(count), 0) FROM history_hour WHERE point_id = $1 "
                "AND ts BETWEEN $2 AND $3",
                found[0], start_ms - start_ms % HOUR_MS, end_ms,
            )  # fmt: skip
            return int(total)

        result: int = await self._run(job)
        return result

    async def device_readings(
        self, device: str, start_ms: int, end_ms: int, limit: int
    ) -> tuple[list[DeviceReading], bool]:
        async def job(conn: Any) -> tuple[list[DeviceReading], bool]:
            rows = await conn.fetch(
                "SELECT r.ts, p.name, p.role, r.value, r.seq, p.boolean FROM history_readings r "
                "JOIN history_points p ON p.id = r.point_id JOIN history_devices d "
                "ON d.id = p.device_id WHERE d.name = $1 AND r.ts BETWEEN $2 AND $3 "
                "ORDER BY r.ts DESC, r.seq DESC LIMIT $4",
                device, start_ms, end_ms, limit + 1,
            )  # fmt: skip
            out = [DeviceReading(r[0], r[1], r[2], _value(r[3], r[5]), r[4]) for r in rows[:limit]]
            out.reverse()
            return out, len(rows) > limit

        result: tuple[list[DeviceReading], bool] = await self._run(job)
        return result

    # --- audit ------------------------------------------------------------------------------
    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        async def job(conn: Any) -> None:
            await conn.executemany(
                "INSERT INTO history_audit (ts, principal, device, actuator, value, cid, status, "
                "error, latency_ms, via) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10)",
                [
                    (e.ts_ms, e.principal, e.device, e.actuator, json.dumps(e.value), e.cid,
                     e.status, e.error, e.latency_ms, e.via)
                    for e in entries
                ],
            )  # fmt: skip

        await self._run(job)

    async def audit(
        self, device: str | None, start_ms: int | None, end_ms: int | None, limit: int
    ) -> list[AuditEntry]:
        async def job(conn: Any) -> list[AuditEntry]:
            rows = await conn.fetch(
                "SELECT ts, principal, device, actuator, value::text, cid, status, error, "
                "latency_ms, via FROM history_audit WHERE ($1::text IS NULL OR device = $1) "
                "AND ($2::bigint IS NULL OR ts >= $2) AND ($3::bigint IS NULL OR ts <= $3) "
                "ORDER BY ts DESC, id DESC LIMIT $4",
                device, start_ms, end_ms, limit,
            )  # fmt: skip
            return [
                AuditEntry(r[0], r[1], r[2], r[3], json.loads(r[4]) if r[4] is not None else None,
                           r[5], r[6], r[7], r[8], r[9])
                for r in rows
            ]  # fmt: skip

        result: list[AuditEntry] = await self._run(job)
        return result

    # --- retention and health ---------------------------------------------------------------
    async def retain(self, limits: RetentionLimits, now_ms: int) -> RetentionResult:
        async def job(conn: Any) -> RetentionResult:
            oldest = {
                tier: await conn.fetchval(f"SELECT min(ts) FROM {table}")  # noqa: S608 - fixed map
                for tier, table in TIER_TABLES.items()
            }
            used = await self._bytes_used(conn)
            result = RetentionResult()
            for deletion in plan_retention(limits, now_ms, used, oldest):
                table = TIER_TABLES[deletion.tier]
                status = await conn.execute(
                    f"DELETE FROM {table} WHERE ctid IN (SELECT ctid FROM {table} "  # noqa: S608
                    "WHERE ts < $1 LIMIT $2)",
                    deletion.before_ms,
                    limits.chunk_rows,
                )
                count = int(status.split()[-1])
                result.deleted[deletion.tier] = count
                result.more = result.more or count >= limits.chunk_rows
            await conn.execute(
                "DELETE FROM history_audit WHERE id IN (SELECT id FROM history_audit "
                "WHERE ts < $1 LIMIT $2)",
                now_ms - limits.minute_ms,
                limits.chunk_rows,
            )
            return result

        result: RetentionResult = await self._run(job)
        return result

    async def _bytes_used(self, conn: Any) -> int:
        total = await conn.fetchval(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "WHERE c.relkind = 'r' AND c.relname LIKE 'history\\_%'"
        )
        return int(total)

    async def health(self) -> StoreHealth:
        async def job(conn: Any) -> StoreHealth:
            return StoreHealth(bytes_on_disk=await self._bytes_used(conn))

        result: StoreHealth = await self._run(job)
        return result
