"""The history store contract, run against both adapters (SQLite and a real PostgreSQL)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gateway.recorder.migrate import migrate
from gateway.recorder.postgres_store import PostgresStore
from gateway.recorder.records import (
    HOUR_MS,
    MINUTE_MS,
    AuditEntry,
    PointRef,
    Reading,
    SeqRun,
    Tier,
)
from gateway.recorder.sqlite_store import SqliteStore
from gateway.recorder.store import HistoryStore, RetentionLimits

T0 = 1_764_547_200_000  # 2025-12-01T00:00:00Z, on an hour boundary
DAY_MS = 86_400_000
TEMP = PointRef("dev1", "sensor", "temp")
RELAY = PointRef("dev1", "actuator", "relay1")


def readings(device: str, point: str, seqs: range, *, every_ms: int = 1000) -> list[Reading]:
    return [Reading(device, point, "sensor", s, T0 + s * every_ms, float(s % 7)) for s in seqs]


async def test_written_readings_come_back_oldest_first(store: HistoryStore) -> None:
    result = await store.write(readings("dev1", "temp", range(10)))
    assert (result.stored, result.duplicates) == (10, 0)
    got, truncated = await store.readings(TEMP, T0, T0 + DAY_MS, 100)
    assert [r.seq for r in got] == list(range(10))
    assert [r.ts_ms for r in got] == [T0 + s * 1000 for s in range(10)]
    assert got[3].value == 3 and not truncated


async def test_a_duplicate_is_stored_once_and_counted_once_in_its_buckets(
    store: HistoryStore,
) -> None:
    batch = readings("dev1", "temp", range(120))
    await store.write(batch)
    again = await store.write(batch[50:70] + readings("dev1", "temp", range(120, 130)))
    assert (again.stored, again.duplicates) == (10, 20)
    got, _ = await store.readings(TEMP, T0, T0 + DAY_MS, 1000)
    assert len(got) == 130
    minutes, _ = await store.buckets(TEMP, Tier.MINUTE, T0, T0 + DAY_MS, 100)
    assert sum(b.count for b in minutes) == 130
    hours, _ = await store.buckets(TEMP, Tier.HOUR, T0, T0 + DAY_MS, 100)
    assert [b.count for b in hours] == [130]


async def test_buckets_hold_min_max_avg_last_of_their_readings(store: HistoryStore) -> None:
    values = [5.0, 1.0, 9.0, 3.0]
    batch = [Reading("dev1", "temp", "sensor", i, T0 + i * 10_000, v) for i, v in enumerate(values)]
    # out of order: the last (by ts) must still win
    await store.write([batch[3], batch[0]])
    await store.write([batch[2], batch[1]])
    minutes, _ = await store.buckets(TEMP, Tier.MINUTE, T0, T0 + HOUR_MS, 10)
    assert len(minutes) == 1
    bucket = minutes[0]
    assert (bucket.ts_ms, bucket.min, bucket.max, bucket.last, bucket.count) == (T0, 1, 9, 3, 4)
    assert bucket.avg == sum(values) / 4


async def test_booleans_are_kept_as_booleans_and_bucketed_as_0_1(store: HistoryStore) -> None:
    states = [True, False, True, True]
    await store.write(
        [Reading("dev1", "relay1", "actuator", i, T0 + i * 1000, v) for i, v in enumerate(states)]
    )
    got, _ = await store.readings(RELAY, T0, T0 + HOUR_MS, 10)
    assert [r.value for r in got] == states
    assert all(isinstance(r.value, bool) for r in got)
    minutes, _ = await store.buckets(RELAY, Tier.MINUTE, T0, T0 + HOUR_MS, 10)
    assert minutes[0].avg == 0.75 and minutes[0].last == 1


async def test_raw_queries_cap_at_the_most_recent_and_say_truncated(store: HistoryStore) -> None:
    await store.write(readings("dev1", "temp", range(50)))
    got, truncated = await store.readings(TEMP, T0, T0 + DAY_MS, 20)
    assert truncated and [r.seq for r in got] == list(range(30, 50))
    window, _ = await store.readings(TEMP, T0 + 10_000, T0 + 19_000, 100)
    assert [r.seq for r in window] == list(range(10, 20))


async def test_seq_runs_and_last_seqs_show_holes(store: HistoryStore) -> None:
    await store.write(
        readings("dev1", "temp", range(0, 10)) + readings("dev1", "hum", range(20, 30))
    )
    await store.write(readings("dev2", "temp", range(5, 6)))
    assert await store.seq_runs("dev1") == [SeqRun(0, 9), SeqRun(20, 29)]
    assert await store.last_seqs() == {"dev1": 29, "dev2": 5}
    await store.write(readings("dev1", "temp", range(10, 20)))
    assert await store.seq_runs("dev1") == [SeqRun(0, 29)]
    assert await store.seq_runs("nobody") == []


async def test_device_export_is_long_form_across_points(store: HistoryStore) -> None:
    await store.write(readings("dev1", "temp", range(0, 4), every_ms=2000))
    await store.write([Reading("dev1", "relay1", "actuator", 10, T0 + 3000, True)])
    got, truncated = await store.device_readings("dev1", T0, T0 + DAY_MS, 100)
    assert [(r.point, r.role, r.seq) for r in got] == [
        ("temp", "sensor", 0), ("temp", "sensor", 1), ("relay1", "actuator", 10),
        ("temp", "sensor", 2), ("temp", "sensor", 3),
    ]  # fmt: skip
    assert not truncated


async def test_known_points_and_devices(store: HistoryStore) -> None:
    await store.write(readings("dev1", "temp", range(1)))
    assert await store.has_device("dev1") and not await store.has_device("dev2")
    assert await store.has_point(TEMP)
    assert not await store.has_point(PointRef("dev1", "actuator", "temp"))


async def test_count_estimate_comes_from_hour_buckets(store: HistoryStore) -> None:
    await store.write(readings("dev1", "temp", range(7200)))  # two hours at 1/s
    assert await store.count_estimate(TEMP, T0, T0 + 2 * HOUR_MS - 1) == 7200


async def test_audit_is_newest_first_and_filtered(store: HistoryStore) -> None:
    entries = [
        AuditEntry(T0 + i, "alice", f"dev{i % 2}", "relay1", i % 2 == 0, f"c{i}", "ok", None,
                   12.5, "rest")
        for i in range(6)
    ]  # fmt: skip
    await store.append_audit(entries)
    got = await store.audit(None, None, None, 100)
    assert [e.cid for e in got] == ["c5", "c4", "c3", "c2", "c1", "c0"]
    assert got[0].value is False and got[0].latency_ms == 12.5
    only = await store.audit("dev0", T0 + 1, None, 100)
    assert [e.cid for e in only] == ["c4", "c2"]


async def test_retention_drops_old_raw_first_and_keeps_the_buckets(store: HistoryStore) -> None:
    await store.write(readings("dev1", "temp", range(0, 600), every_ms=MINUTE_MS))  # 10 h
    limits = RetentionLimits(raw_ms=5 * HOUR_MS, minute_ms=8 * HOUR_MS, max_bytes=1 << 40,
                             chunk_rows=100)  # fmt: skip
    now = T0 + 10 * HOUR_MS
    rounds = 0
    while (await store.retain(limits, now)).more:
        rounds += 1
        assert rounds < 50
    assert rounds >= 2  # small chunks, many steps
    raw, _ = await store.readings(TEMP, T0, now, 10_000)
    assert raw[0].ts_ms >= now - 5 * HOUR_MS and len(raw) == 300
    minutes, _ = await store.buckets(TEMP, Tier.MINUTE, T0, now, 10_000)
    assert minutes[0].ts_ms >= now - 8 * HOUR_MS
    hours, _ = await store.buckets(TEMP, Tier.HOUR, T0, now, 10_000)
    assert sum(b.count for b in hours) == 600
    runs = await store.seq_runs("dev1")
    assert runs[0].lo == 300 and runs[-1].hi == 599


async def test_concurrent_writers_store_each_reading_once(store: HistoryStore) -> None:
    batch = readings("dev1", "temp", range(2000))
    results = await asyncio.gather(*(store.write(batch[i::3] + batch) for i in range(3)))
    assert sum(r.stored for r in results) == 2000
    hours, _ = await store.buckets(TEMP, Tier.HOUR, T0, T0 + DAY_MS, 10)
    assert sum(b.count for b in hours) == 2000


async def test_health_reports_bytes(store: HistoryStore) -> None:
    await store.write(readings("dev1", "temp", range(1000)))
    assert (await store.health()).bytes_on_disk > 0


async def test_migrating_sqlite_into_postgresql_copies_every_reading_once(
    tmp_path: Path, postgres_url: str
) -> None:
    source = SqliteStore(tmp_path / "history.db")
    await source.open()
    await source.write(readings("dev1", "temp", range(12_000)))
    await source.write([Reading("dev1", "relay1", "actuator", 20_000, T0, True)])
    await source.append_audit([AuditEntry(T0, "alice", "dev1", "relay1", True, "c1", "ok", None,
                                          2.0, "ws")])  # fmt: skip
    await source.close()
    url = f"sqlite:///{tmp_path / 'history.db'}"
    assert await migrate(url, postgres_url) == (12_001, 12_001, 1)
    assert (await migrate(url, postgres_url))[1] == 0  # again: nothing new
    target = PostgresStore(postgres_url, description="target")
    await target.open()
    try:
        assert await target.seq_runs("dev1") == [SeqRun(0, 11_999), SeqRun(20_000, 20_000)]
        hours, _ = await target.buckets(TEMP, Tier.HOUR, T0, T0 + DAY_MS, 10)
        assert sum(b.count for b in hours) == 12_000
        got, _ = await target.readings(RELAY, T0, T0, 10)
        assert got[0].value is True
        assert [e.via for e in await target.audit(None, None, None, 10)] == ["ws"]
    finally:
        await target.close()
