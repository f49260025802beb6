"""``python -m gateway.recorder.migrate SQLITE_URL POSTGRESQL_URL``: copy an SQLite history store
into PostgreSQL (docs/history.md, "Moving from SQLite to PostgreSQL").

Every raw reading is read in key order, in batches, and written through the PostgreSQL store's
ordinary ``write`` (buckets rebuilt in the same transactions, idempotent by ``(device, seq)``:
running it again after an interruption copies only what is missing); then the audit log. Buckets
whose raw readings retention already deleted are not copied.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from gateway.recorder.postgres_store import PostgresStore
from gateway.recorder.records import AuditEntry, PointRole, Reading, RecordedValue
from gateway.recorder.url import HistoryBackend, parse_history_url

BATCH = 5_000


def sqlite_readings(path: Path, batch: int = BATCH) -> Iterator[list[Reading]]:
    """Every raw reading of an SQLite store, in key order, ``batch`` at a time."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        after = (-1, -1, -1)
        while True:
            rows = db.execute(
                "SELECT r.point_id, r.ts, r.seq, r.value, d.name, p.role, p.name, p.boolean "
                "FROM history_readings r JOIN history_points p ON p.id = r.point_id "
                "JOIN history_devices d ON d.id = p.device_id "
                "WHERE (r.point_id, r.ts, r.seq) > (?, ?, ?) "
                "ORDER BY r.point_id, r.ts, r.seq LIMIT ?",
                (*after, batch),
            ).fetchall()
            if not rows:
                return
            out = []
            for _pid, ts, seq, value, device, role, point, boolean in rows:
                kept: RecordedValue = value != 0 if boolean else value
                role_: PointRole = "actuator" if role == "actuator" else "sensor"
                out.append(Reading(device, point, role_, seq, ts, kept))
            yield out
            last = rows[-1]
            after = (last[0], last[1], last[2])


def sqlite_audit(path: Path) -> list[AuditEntry]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        rows = db.execute(
            "SELECT ts, principal, device, actuator, value, cid, status, error, latency_ms, via "
            "FROM history_audit ORDER BY id"
        ).fetchall()
    return [
        AuditEntry(ts, pr, dev, act, json.loads(v) if v is not None else None, cid, st, err,
                   lat, "ws" if via == "ws" else "rest")
        for ts, pr, dev, act, v, cid, st, err, lat, via in rows
    ]  # fmt: skip


async def migrate(source: str, target: str) -> tuple[int, int, int]:
    """Copy ``source`` (sqlite:///…) into ``target`` (postgresql://…): (read, stored, audit)."""
    src, dst = parse_history_url(source), parse_history_url(target)
    if src.backend is not HistoryBackend.SQLITE or dst.backend is not HistoryBackend.POSTGRESQL:
        raise ValueError("copies an sqlite:/// store into a postgresql:// one")
    assert src.path is not None and dst.dsn is not None
    if not src.path.is_file():
        raise ValueError(f"{src.path}: no such file")
    store = PostgresStore(dst.dsn, description=dst.redacted())
    await store.open()
    read = stored = 0
    try:
        for batch in sqlite_readings(src.path):
            result = await store.write(batch)
            read += len(batch)
            stored += result.stored
        entries = sqlite_audit(src.path)
        if entries and not await store.audit(None, None, None, 1):
            await store.append_audit(entries)  # only into an empty audit log: not idempotent
    finally:
        await store.close()
    return read, stored, len(entries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.recorder.migrate",
                                     description=__doc__.split("\n\n")[0])  # fmt: skip
    parser.add_argument("source", help="sqlite:///path/to/history.db")
    parser.add_argument("target", help="postgresql://user@host/db")
    args = parser.parse_args(argv)
    try:
        read, stored, audit = asyncio.run(migrate(args.source, args.target))
    except ValueError as exc:
        parser.error(str(exc))
    print(f"{read} readings read, {stored} new in the target, {audit} audit entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
