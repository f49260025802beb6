"""The embedded history store: one SQLite file in WAL mode (``sqlite:///<state dir>/history.db``).

Two threads of its own, each with its own connection: the writer (batches, retention) and the
reader (queries), so a query never waits for a batch and neither touches the event loop. WAL lets
the reader see the last committed batch while the writer writes the next.

On disk, per raw reading, one row of a ``WITHOUT ROWID`` table keyed ``(point_id, ts, seq)``:
integers for the point (an id) and the time (ms), the value as REAL (SQLite writes integral reals
as small integers): about 30 bytes with its share of the b-tree, no second index. Uniqueness of
``(device, seq)`` is kept by the writer with the device's recorded seq runs (:class:`SeqRuns`, in
memory and in ``history_seq_runs``, updated in the same transaction): an index on ``(device, seq)``
would add ~12 bytes a reading. So one SQLite file has one writer process: two gateways share a
PostgreSQL, never an SQLite file.

``synchronous=NORMAL``: a power cut may lose the last batches (never corrupt the file); those
readings are still in the agent's outbox, and the restart's gap filling asks for them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import sqlite3
import threading
from bisect import bisect_left
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

from gateway.recorder.bucketing import coarsen, fold
from gateway.recorder.raw_json import SQL_TS_MAX, SQL_TS_MIN, RawJson, rows_text, ts_text_ms
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
    iso_ms,
)
from gateway.recorder.retention import plan_retention
from gateway.recorder.runs import SeqRuns
from gateway.recorder.store import (
    SCHEMA_VERSION,
    RetentionLimits,
    RetentionResult,
    StoreHealth,
    StoreUnavailable,
)

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS history_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS history_devices (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS history_points (
    id INTEGER PRIMARY KEY, device_id INTEGER NOT NULL REFERENCES history_devices(id),
    role TEXT NOT NULL, name TEXT NOT NULL, boolean INTEGER NOT NULL DEFAULT 0,
    UNIQUE (device_id, role, name));
CREATE TABLE IF NOT EXISTS history_readings (
    point_id INTEGER NOT NULL, ts INTEGER NOT NULL, seq INTEGER NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (point_id, ts, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history_minute (
    point_id INTEGER NOT NULL, ts INTEGER NOT NULL, min REAL NOT NULL, max REAL NOT NULL,
    total REAL NOT NULL, count INTEGER NOT NULL, last REAL NOT NULL, last_ts INTEGER NOT NULL,
    PRIMARY KEY (point_id, ts)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history_hour (
    point_id INTEGER NOT NULL, ts INTEGER NOT NULL, min REAL NOT NULL, max REAL NOT NULL,
    total REAL NOT NULL, count INTEGER NOT NULL, last REAL NOT NULL, last_ts INTEGER NOT NULL,
    PRIMARY KEY (point_id, ts)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history_seq_runs (
    device_id INTEGER NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL,
    PRIMARY KEY (device_id, lo)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history_audit (
    id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, principal TEXT NOT NULL, device TEXT NOT NULL,
    actuator TEXT NOT NULL, value TEXT, cid TEXT, status TEXT NOT NULL, error TEXT,
    latency_ms REAL, via TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS history_audit_ts ON history_audit (ts);
"""

UPSERT_HEAD = "INSERT INTO {table} (point_id, ts, min, max, total, count, last, last_ts) VALUES "
UPSERT_TAIL = """
ON CONFLICT (point_id, ts) DO UPDATE SET
    min = min(min, excluded.min), max = max(max, excluded.max),
    total = total + excluded.total, count = count + excluded.count,
    last = CASE WHEN excluded.last_ts >= last_ts THEN excluded.last ELSE last END,
    last_ts = max(last_ts, excluded.last_ts)
"""

BUCKET_TABLES = {Tier.MINUTE: "history_minute", Tier.HOUR: "history_hour"}
TIER_TABLES = {Tier.RAW: "history_readings", **BUCKET_TABLES}


#: Less free space than this on the store's file system makes a write error a full disk.
LOW_SPACE = 4 * 1024 * 1024


def out_of_space(path: Path) -> bool:
    """Whether a failed write is most likely a full disk: little space left on the file system,
    or a file at the process's file size limit (RLIMIT_FSIZE, which SQLite reports as an I/O
    error, not as SQLITE_FULL)."""
    try:
        stats = os.statvfs(path.parent)
        if stats.f_bavail * stats.f_frsize < LOW_SPACE:
            return True
        soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
        if soft != resource.RLIM_INFINITY:
            for name in (path, path.with_name(path.name + "-wal")):
                if name.exists() and name.stat().st_size + 2 * 65536 >= soft:
                    return True
    except OSError:
        return False
    return False


#: SQLite's limit on bound parameters per statement (SQLITE_MAX_VARIABLE_NUMBER, 32766 since 3.32).
MAX_PARAMETERS = 32_766


@lru_cache(maxsize=64)
def _placeholders(rows: int, width: int) -> str:
    one = "(" + ",".join("?" * width) + ")"
    return ",".join([one] * rows)


def insert_rows(
    conn: sqlite3.Connection, head: str, tail: str, rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` with multi-row ``VALUES`` statements, thousands of rows each.

    Not ``executemany``: it releases and re-takes the GIL around every row's step, and while the
    event loop's thread is busy (a burst of backlog) each re-take waits up to the interpreter's
    switch interval (5 ms): measured, a 5,000-row batch then took seconds. One statement per few
    thousand rows takes the GIL back a few times per batch."""
    if not rows:
        return
    width = len(rows[0])
    per = MAX_PARAMETERS // width
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        params = [value for row in chunk for value in row]
        conn.execute(head + _placeholders(len(chunk), width) + tail, params)


def classify(exc: BaseException, path: Path | None = None) -> StoreUnavailable:
    """An SQLite or OS error as a :class:`StoreUnavailable` with a metric-label cause."""
    text = str(exc)
    lowered = text.lower()
    code = getattr(exc, "sqlite_errorname", "") or ""
    if (
        "full" in lowered
        or "too large" in lowered
        or (code.startswith("SQLITE_IOERR") and path is not None and out_of_space(path))
    ):
        cause = "disk_full"
    elif "locked" in lowered or "busy" in lowered:
        cause = "locked"
    elif "malformed" in lowered or "not a database" in lowered or "corrupt" in lowered:
        cause = "corrupt"
    elif isinstance(exc, OSError) or "i/o" in lowered or "unable to open" in lowered:
        cause = "io"
    else:
        cause = "other"
    return StoreUnavailable(cause, text)


def _value(raw: float, boolean: int) -> RecordedValue:
    if boolean:
        return raw != 0
    return int(raw) if raw.is_integer() and abs(raw) < 2**53 else raw


def _newest(
    conn: sqlite3.Connection, columns: str, point_id: int, *, start_ms: int, end_ms: int, limit: int
) -> tuple[list[Any], bool]:
    """``columns`` of a point's most recent ``limit`` readings in the window, oldest first, and
    whether the window held more. ``columns`` is fixed text of this module, never input."""
    rows = conn.execute(
        f"SELECT {columns} FROM history_readings WHERE point_id = ? "  # noqa: S608 - fixed text
        "AND ts BETWEEN ? AND ? ORDER BY ts DESC, seq DESC LIMIT ?",
        (point_id, start_ms, end_ms, limit + 1),
    ).fetchall()
    truncated = len(rows) > limit
    del rows[limit:]
    rows.reverse()
    return rows, truncated


class SqliteStore:
    """The :class:`~gateway.recorder.store.HistoryStore` on one SQLite file."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = 2_000) -> None:
        self.path = path
        self.description = f"sqlite:///{path}"
        self._busy_ms = busy_timeout_ms
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="history-writer")
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="history-reader")
        self._local = threading.local()
        # Writer-thread state: ids of devices and points, and each device's recorded seq runs.
        self._device_ids: dict[str, int] = {}
        self._point_ids: dict[tuple[str, PointRole, str], int] = {}
        self._runs: dict[int, SeqRuns] = {}

    # --- threads ----------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True)
            conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
        return conn

    def _reconnect_after(self, job: Callable[[], T]) -> Callable[[], T]:
        def guarded() -> T:
            try:
                return job()
            except (sqlite3.Error, OSError):
                # A connection that saw an I/O error may keep failing after the cause went (a
                # disk with space again): the next call opens a fresh one in this thread.
                conn = getattr(self._local, "conn", None)
                if conn is not None:
                    with contextlib.suppress(sqlite3.Error):
                        conn.close()
                    self._local.conn = None
                raise

        return guarded

    async def _in(self, pool: ThreadPoolExecutor, job: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(pool, self._reconnect_after(job))
        except (sqlite3.Error, OSError) as exc:
            raise classify(exc, self.path) from exc

    # --- lifecycle --------------------------------------------------------------------------
    async def open(self) -> None:
        await self._in(self._writer, self._open)
        await self._in(self._reader, lambda: self._connection().execute("SELECT 1").fetchone())

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._connection()
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"cannot switch {self.path} to WAL (got {mode})")
        conn.executescript(SCHEMA)
        row = conn.execute("SELECT version FROM history_schema").fetchone()
        if row is None:
            conn.execute("INSERT INTO history_schema (version) VALUES (?)", (SCHEMA_VERSION,))
        elif row[0] != SCHEMA_VERSION:
            raise StoreUnavailable(
                "other", f"{self.path} has history schema {row[0]}, this gateway {SCHEMA_VERSION}"
            )
        self._load_ids(conn)

    def _load_ids(self, conn: sqlite3.Connection) -> None:
        self._device_ids = {n: i for i, n in conn.execute("SELECT id, name FROM history_devices")}
        names = {i: n for n, i in self._device_ids.items()}
        self._point_ids = {
            (names[d], role, name): pid
            for pid, d, role, name in conn.execute(
                "SELECT id, device_id, role, name FROM history_points"
            )
        }
        runs: dict[int, list[tuple[int, int]]] = {}
        for device_id, lo, hi in conn.execute("SELECT device_id, lo, hi FROM history_seq_runs"):
            runs.setdefault(device_id, []).append((lo, hi))
        self._runs = {d: SeqRuns(r) for d, r in runs.items()}

    async def close(self) -> None:
        def close_here() -> None:
            conn = getattr(self._local, "conn", None)
            if conn is not None:
                conn.close()
                self._local.conn = None

        for pool in (self._writer, self._reader):
            with contextlib.suppress(sqlite3.Error):
                await asyncio.get_running_loop().run_in_executor(pool, close_here)
            pool.shutdown(wait=True)

    # --- writing (writer thread) ------------------------------------------------------------
    async def write(self, readings: Sequence[Reading]) -> WriteResult:
        return await self._in(self._writer, lambda: self._write(readings))

    def _ids(self, conn: sqlite3.Connection, reading: Reading) -> tuple[int, int]:
        device_id = self._device_ids.get(reading.device)
        if device_id is None:
            conn.execute(
                "INSERT OR IGNORE INTO history_devices (name) VALUES (?)", (reading.device,)
            )
            device_id = conn.execute(
                "SELECT id FROM history_devices WHERE name = ?", (reading.device,)
            ).fetchone()[0]
            self._device_ids[reading.device] = device_id
        key = (reading.device, reading.role, reading.point)
        point_id = self._point_ids.get(key)
        if point_id is None:
            conn.execute(
                "INSERT OR IGNORE INTO history_points (device_id, role, name, boolean) "
                "VALUES (?, ?, ?, ?)",
                (device_id, reading.role, reading.point, int(isinstance(reading.value, bool))),
            )
            point_id = conn.execute(
                "SELECT id FROM history_points WHERE device_id = ? AND role = ? AND name = ?",
                (device_id, reading.role, reading.point),
            ).fetchone()[0]
            self._point_ids[key] = point_id
        return device_id, point_id

    def _ensure_ids(
        self, conn: sqlite3.Connection, readings: Sequence[Reading], keys: list[Any]
    ) -> None:
        # Ids first, committed on their own: a point row without readings is harmless, and the
        # id caches then never hold an id that a rolled-back transaction took away.
        if any(k not in self._point_ids for k in keys):
            conn.execute("BEGIN IMMEDIATE")
            try:
                for reading, key in zip(readings, keys, strict=True):
                    if key not in self._point_ids:
                        self._ids(conn, reading)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                self._load_ids(conn)
                raise

    def _write(self, readings: Sequence[Reading]) -> WriteResult:
        conn = self._connection()
        keys = [(r.device, r.role, r.point) for r in readings]
        self._ensure_ids(conn, readings, keys)
        device_ids, point_ids, all_runs = self._device_ids, self._point_ids, self._runs
        before: dict[int, list[tuple[int, int]]] = {}
        rows: list[tuple[int, int, int, float]] = []
        for reading, key in zip(readings, keys, strict=True):
            device_id = device_ids[reading.device]
            runs = all_runs.get(device_id)
            if runs is None:
                runs = all_runs[device_id] = SeqRuns()
            if device_id not in before:
                before[device_id] = [(r.lo, r.hi) for r in runs.runs()]
            if runs.add(reading.seq):
                rows.append((point_ids[key], reading.ts_ms, reading.seq, float(reading.value)))
        if not rows:
            return WriteResult(0, len(readings))
        triples = [(p, ts, v) for p, ts, _, v in rows]
        try:
            conn.execute("BEGIN IMMEDIATE")
            insert_rows(
                conn,
                "INSERT OR IGNORE INTO history_readings (point_id, ts, seq, value) VALUES ",
                "",
                rows,
            )
            minutes = fold(triples, MINUTE_MS)
            for tier, folded in ((Tier.MINUTE, minutes), (Tier.HOUR, coarsen(minutes, HOUR_MS))):
                insert_rows(
                    conn,
                    UPSERT_HEAD.format(table=BUCKET_TABLES[tier]),
                    UPSERT_TAIL,
                    [
                        (p, start, b.min, b.max, b.total, b.count, b.last, b.last_ts)
                        for (p, start), b in sorted(folded.items())
                    ],
                )
            for device_id in before:
                conn.execute("DELETE FROM history_seq_runs WHERE device_id = ?", (device_id,))
                conn.executemany(
                    "INSERT INTO history_seq_runs (device_id, lo, hi) VALUES (?, ?, ?)",
                    [(device_id, r.lo, r.hi) for r in all_runs[device_id].runs()],
                )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for device_id, runs_before in before.items():
                all_runs[device_id] = SeqRuns(runs_before)
            raise
        return WriteResult(len(rows), len(readings) - len(rows))

    async def last_seqs(self) -> dict[str, int]:
        def collect() -> dict[str, int]:
            names = {i: n for n, i in self._device_ids.items()}
            return {
                names[d]: runs.top
                for d, runs in self._runs.items()
                if runs.top is not None and d in names
            }

        return await self._in(self._writer, collect)

    async def seq_runs(self, device: str) -> list[SeqRun]:
        def collect() -> list[SeqRun]:
            device_id = self._device_ids.get(device)
            runs = self._runs.get(device_id) if device_id is not None else None
            return runs.runs() if runs is not None else []

        return await self._in(self._writer, collect)

    # --- reading (reader thread) ------------------------------------------------------------
    def _point(self, ref: PointRef) -> tuple[int, int] | None:
        row = (
            self._connection()
            .execute(
                "SELECT p.id, p.boolean FROM history_points p JOIN history_devices d "
                "ON d.id = p.device_id WHERE d.name = ? AND p.role = ? AND p.name = ?",
                (ref.device, ref.role, ref.point),
            )
            .fetchone()
        )
        return (int(row[0]), int(row[1])) if row else None

    async def _read(self, job: Callable[[sqlite3.Connection], T]) -> T:
        return await self._in(self._reader, lambda: job(self._connection()))

    async def has_point(self, ref: PointRef) -> bool:
        return await self._read(lambda _c: self._point(ref) is not None)

    async def has_device(self, device: str) -> bool:
        return await self._read(
            lambda c: (
                c.execute("SELECT 1 FROM history_devices WHERE name = ?", (device,)).fetchone()
                is not None
            )
        )

    async def readings(
        self, ref: PointRef, start_ms: int, end_ms: int, limit: int
    ) -> tuple[list[RawReading], bool]:
        def query(conn: sqlite3.Connection) -> tuple[list[RawReading], bool]:
            found = self._point(ref)
            if found is None:
                return [], False
            point_id, boolean = found
            rows, truncated = _newest(
                conn, "ts, value, seq", point_id, start_ms=start_ms, end_ms=end_ms, limit=limit
            )
            if boolean:
                return [RawReading(ts, v != 0, seq) for ts, v, seq in rows], truncated
            return list(map(RawReading._make, rows)), truncated

        return await self._read(query)

    async def readings_json(
        self, ref: PointRef, start_ms: int, end_ms: int, limit: int, seqs_from_ms: int
    ) -> RawJson:
        if not SQL_TS_MIN <= start_ms <= end_ms <= SQL_TS_MAX:  # strftime is exact in here only
            got, truncated = await self.readings(ref, start_ms, end_ms, limit)
            return RawJson.from_readings(got, truncated, seqs_from_ms)

        def query(conn: sqlite3.Connection) -> RawJson:
            found = self._point(ref)
            if found is None:
                return RawJson("[]", 0, False, None, [])
            point_id, boolean = found
            # SQLite cannot write a REAL as float.__repr__ does (docs/history.md): the value stays
            # a float for %r, and only ts and the true/false of digital points are text. ts as a
            # Julian day number: exact to the ms (the rounding error is < 0.1 ms up to 9999) and
            # ~10 % cheaper than the 'unixepoch' modifier, which SQLite parses per row.
            value = "CASE WHEN value != 0 THEN 'true' ELSE 'false' END" if boolean else "value"
            columns = f"{value}, strftime('%Y-%m-%dT%H:%M:%fZ', ts / 86400000.0 + 2440587.5), seq"
            rows, truncated = _newest(
                conn, columns, point_id, start_ms=start_ms, end_ms=end_ms, limit=limit
            )
            if not rows:
                return RawJson("[]", 0, truncated, None, [])
            seqs: list[int] = []
            if seqs_from_ms <= end_ms:  # ts texts sort as the times do (fixed width, 0000-9999)
                first = bisect_left(rows, iso_ms(max(seqs_from_ms, 0)), key=itemgetter(1))
                seqs = [row[2] for row in rows[first:]]
            last = ts_text_ms(rows[-1][1])
            text = rows_text(rows, boolean=bool(boolean))
            return RawJson(text, len(rows), truncated, last, seqs)

        return await self._read(query)

    async def buckets(
        self, ref: PointRef, tier: Tier, start_ms: int, end_ms: int, limit: int
    ) -> tuple[list[Bucket], bool]:
        table = BUCKET_TABLES[tier]

        def query(conn: sqlite3.Connection) -> tuple[list[Bucket], bool]:
            found = self._point(ref)
            if found is None:
                return [], False
            rows = conn.execute(
                f"SELECT ts, min, max, total, last, count FROM {table} WHERE point_id = ? "  # noqa: S608 - table from a fixed map
                "AND ts BETWEEN ? AND ? ORDER BY ts DESC LIMIT ?",
                (found[0], start_ms, end_ms, limit + 1),
            ).fetchall()
            truncated = len(rows) > limit
            out = [
                Bucket(ts, mn, mx, tot / n, last, n) for ts, mn, mx, tot, last, n in rows[:limit]
            ]
            out.reverse()
            return out, truncated

        return await self._read(query)

    async def count_estimate(self, ref: PointRef, start_ms: int, end_ms: int) -> int:
        def query(conn: sqlite3.Connection) -> int:
            found = self._point(ref)
            if found is None:
                return 0
            row = conn.execute(
                "SELECT coalesce(sum(count), 0) FROM history_hour WHERE point_id = ? "
                "AND ts BETWEEN ? AND ?",
                (found[0], start_ms - start_ms % HOUR_MS, end_ms),
            ).fetchone()
            return int(row[0])

        return await self._read(query)

    async def device_readings(
        self, device: str, start_ms: int, end_ms: int, limit: int
    ) -> tuple[list[DeviceReading], bool]:
        def query(conn: sqlite3.Connection) -> tuple[list[DeviceReading], bool]:
            rows = conn.execute(
                "SELECT r.ts, p.name, p.role, r.value, r.seq, p.boolean "
                "FROM history_readings r JOIN history_points p ON p.id = r.point_id "
                "JOIN history_devices d ON d.id = p.device_id "
                "WHERE d.name = ? AND r.ts BETWEEN ? AND ? ORDER BY r.ts DESC, r.seq DESC LIMIT ?",
                (device, start_ms, end_ms, limit + 1),
            ).fetchall()
            truncated = len(rows) > limit
            out = [
                DeviceReading(ts, name, role, _value(v, boolean), seq)
                for ts, name, role, v, seq, boolean in rows[:limit]
            ]
            out.reverse()
            return out, truncated

        return await self._read(query)

    # --- audit ------------------------------------------------------------------------------
    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        def insert() -> None:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT INTO history_audit (ts, principal, device, actuator, value, cid, "
                    "status, error, latency_ms, via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (e.ts_ms, e.principal, e.device, e.actuator, json.dumps(e.value),
                         e.cid, e.status, e.error, e.latency_ms, e.via)
                        for e in entries
                    ],
                )  # fmt: skip
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        await self._in(self._writer, insert)

    async def audit(
        self, device: str | None, start_ms: int | None, end_ms: int | None, limit: int
    ) -> list[AuditEntry]:
        def query(conn: sqlite3.Connection) -> list[AuditEntry]:
            where, args = _audit_filter(device, start_ms, end_ms)
            rows = conn.execute(
                "SELECT ts, principal, device, actuator, value, cid, status, error, latency_ms, "  # noqa: S608
                f"via FROM history_audit {where} ORDER BY ts DESC, id DESC LIMIT ?",
                (*args, limit),
            ).fetchall()
            return [
                AuditEntry(ts, pr, dev, act, json.loads(v) if v is not None else None, cid, st,
                           err, lat, via)
                for ts, pr, dev, act, v, cid, st, err, lat, via in rows
            ]  # fmt: skip

        return await self._read(query)

    # --- retention and health ---------------------------------------------------------------
    async def retain(self, limits: RetentionLimits, now_ms: int) -> RetentionResult:
        return await self._in(self._writer, lambda: self._retain(limits, now_ms))

    def _bytes_used(self, conn: sqlite3.Connection) -> int:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)

    def _oldest(self, conn: sqlite3.Connection, table: str) -> int | None:
        oldest: int | None = None
        for point_id in set(self._point_ids.values()):
            row = conn.execute(
                f"SELECT min(ts) FROM {table} WHERE point_id = ?",  # noqa: S608 - fixed map
                (point_id,),
            ).fetchone()
            if row[0] is not None and (oldest is None or row[0] < oldest):
                oldest = int(row[0])
        return oldest

    def _retain(self, limits: RetentionLimits, now_ms: int) -> RetentionResult:
        conn = self._connection()
        oldest = {tier: self._oldest(conn, table) for tier, table in TIER_TABLES.items()}
        plan = plan_retention(limits, now_ms, self._bytes_used(conn), oldest)
        result = RetentionResult()
        for deletion in plan:
            table = TIER_TABLES[deletion.tier]
            budget = limits.chunk_rows
            deleted = 0
            for point_id in sorted(set(self._point_ids.values())):
                if budget <= 0:
                    result.more = True
                    break
                conn.execute("BEGIN IMMEDIATE")
                try:
                    bound = conn.execute(
                        f"SELECT ts FROM {table} WHERE point_id = ? AND ts < ? "  # noqa: S608
                        "ORDER BY ts LIMIT 1 OFFSET ?",
                        (point_id, deletion.before_ms, budget),
                    ).fetchone()
                    cut = deletion.before_ms if bound is None else int(bound[0])
                    if bound is not None:
                        result.more = True
                    count = conn.execute(
                        f"DELETE FROM {table} WHERE point_id = ? AND ts < ?",  # noqa: S608
                        (point_id, cut),
                    ).rowcount
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                deleted += count
                budget -= count
            result.deleted[deletion.tier] = result.deleted.get(deletion.tier, 0) + deleted
            if deletion.tier is Tier.RAW and deleted:
                self._trim_runs(conn)
        audit_cut = now_ms - limits.minute_ms
        conn.execute(
            "DELETE FROM history_audit WHERE id IN (SELECT id FROM history_audit WHERE ts < ? "
            "LIMIT ?)",
            (audit_cut, limits.chunk_rows),
        )
        return result

    def _trim_runs(self, conn: sqlite3.Connection) -> None:
        """Raw readings were deleted: each device's coverage now starts at its oldest seq held."""
        first: dict[int, int] = {}
        device_of = {}
        for (device, _role, _name), point_id in self._point_ids.items():
            device_of[point_id] = self._device_ids[device]
        for point_id, device_id in device_of.items():
            row = conn.execute(
                "SELECT seq FROM history_readings WHERE point_id = ? ORDER BY ts, seq LIMIT 1",
                (point_id,),
            ).fetchone()
            if row is not None:
                first[device_id] = min(first.get(device_id, row[0]), row[0])
        conn.execute("BEGIN IMMEDIATE")
        try:
            for device_id, runs in self._runs.items():
                runs.drop_below(first.get(device_id, (runs.top or 0) + 1))
                conn.execute("DELETE FROM history_seq_runs WHERE device_id = ?", (device_id,))
                conn.executemany(
                    "INSERT INTO history_seq_runs (device_id, lo, hi) VALUES (?, ?, ?)",
                    [(device_id, r.lo, r.hi) for r in runs.runs()],
                )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._load_ids(conn)
            raise

    async def health(self) -> StoreHealth:
        return await self._read(lambda c: StoreHealth(bytes_on_disk=self._bytes_used(c)))

    async def integrity_check(self) -> str:
        """``PRAGMA integrity_check``'s answer (``ok`` when the file is sound)."""
        return await self._read(
            lambda c: "\n".join(str(r[0]) for r in c.execute("PRAGMA integrity_check"))
        )


def _audit_filter(
    device: str | None, start_ms: int | None, end_ms: int | None
) -> tuple[str, tuple[Any, ...]]:
    clauses: list[str] = []
    args: list[Any] = []
    if device is not None:
        clauses.append("device = ?")
        args.append(device)
    if start_ms is not None:
        clauses.append("ts >= ?")
        args.append(start_ms)
    if end_ms is not None:
        clauses.append("ts <= ?")
        args.append(end_ms)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(args)
