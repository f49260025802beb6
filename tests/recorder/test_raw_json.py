"""step=raw's JSON text, byte for byte the old dict + ``json.dumps`` encoding: the pure encoder, and
both stores' fast path (:meth:`HistoryStore.readings_json`) against a real SQLite file and a real
PostgreSQL, on values and times each database could write otherwise than Python."""

from __future__ import annotations

import json
import math
import random
import struct
from typing import Any

import pytest
from starlette.responses import JSONResponse

from gateway.recorder.postgres_store import PostgresStore
from gateway.recorder.raw_json import RawJson, envelope, readings_text, rows_text
from gateway.recorder.records import PointRef, RawReading, Reading, RecordedValue, iso_ms
from gateway.recorder.store import HistoryStore
from tests.support.postgres import PostgresServer

T0 = 1_764_547_200_000  # 2025-12-01T00:00:00Z
TEMP = PointRef("dev1", "sensor", "temp")
RELAY = PointRef("dev1", "actuator", "relay1")
END_OF_9999 = 253_402_300_799_999


def old_encoding(readings: list[RawReading]) -> str:
    """What the route wrote before: a dict per reading, then JSONResponse's json.dumps."""
    doc = [{"value": r.value, "ts": iso_ms(r.ts_ms), "seq": r.seq} for r in readings]
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def awkward_floats(rng: random.Random, count: int) -> list[float]:
    """Values whose shortest text differs between writers: random bit patterns (17 digits, tiny
    and huge exponents), decimals, integral values, and the 1e15..1e16 decade."""
    fixed = [0.0, -0.0, 1.0, -3.0, 0.1 + 0.2, 1e-5, 1.5e-7, 123456.789, 1e15, 9999999999999998.0,
             -1e15 - 2, 1e16, 1.2345e20, 2.0**53, 2.0**53 + 2, 5e-324, 1.7976931348623157e308,
             999999999999999.9, 0.0001, 0.00001]  # fmt: skip
    out = list(fixed)
    while len(out) < count:
        kind = len(out) % 4
        if kind == 0:
            bits = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
            if math.isfinite(bits):
                out.append(bits)
        elif kind == 1:
            out.append(round(rng.uniform(-100, 100), rng.randint(0, 6)))
        elif kind == 2:
            out.append(float(rng.randint(-(10**17), 10**17)))
        else:
            out.append(rng.uniform(1e15, 1e16) * rng.choice((1, -1)))
    return out


def awkward_times(rng: random.Random, count: int) -> list[int]:
    """Times from 1970 to the end of 9999 (half of them before 2255), the edges and ms near a
    second's end."""
    fixed = [0, 1, 999, 86_399_999, T0, T0 + 999, END_OF_9999, 951_782_400_000]  # 2000-02-29
    out = list(fixed)
    while len(out) < count:
        until = END_OF_9999 if len(out) % 2 else 2**53 // 1000  # to 9999, or to 2255
        base = rng.randint(0, until // 1000) * 1000
        out.append(base + rng.choice((0, 1, 499, 500, 998, 999, rng.randint(0, 999))))
    return out


# --- the encoder alone -------------------------------------------------------------------------
def test_number_rows_are_the_old_encoding_for_awkward_floats_and_ints() -> None:
    rng = random.Random(14)
    values: list[RecordedValue] = [*awkward_floats(rng, 2_000), 0, -7, 2**70, 21]
    readings = [RawReading(T0 + i, v, i) for i, v in enumerate(values)]
    rows = [(r.value, iso_ms(r.ts_ms), r.seq) for r in readings]
    assert rows_text(rows, boolean=False) == old_encoding(readings)  # type: ignore[arg-type]
    assert readings_text(readings) == old_encoding(readings)


def test_boolean_rows_are_true_and_false() -> None:
    readings = [RawReading(T0 + i, i % 3 == 0, i) for i in range(10)]
    rows = [("true" if r.value else "false", iso_ms(r.ts_ms), r.seq) for r in readings]
    assert rows_text(rows, boolean=True) == old_encoding(readings)
    assert '"value":true' in rows_text(rows, boolean=True)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_value_json_refuses_is_the_same_value_error(bad: float) -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        old_encoding([RawReading(T0, bad, 1)])
    with pytest.raises(ValueError, match="not JSON compliant"):
        rows_text([(1.0, iso_ms(T0), 1), (bad, iso_ms(T0 + 1), 2)], boolean=False)


@pytest.mark.parametrize("truncated", [False, True])
@pytest.mark.parametrize("count", [0, 1, 3])
def test_the_envelope_is_the_bytes_jsonresponse_wrote(truncated: bool, count: int) -> None:
    readings = [RawReading(T0 + i * 1000, 20.0 + i / 10, i) for i in range(count)]
    head: dict[str, Any] = {"device": "gerät-ü", "sensor": "température", "unit": "°C",
                            "from": "2025-12-01T00:00:00.000Z", "to": "2025-12-02T00:00:00.000Z",
                            "step": "raw"}  # fmt: skip
    old = {**head, "readings": json.loads(old_encoding(readings)), "truncated": truncated}
    assert envelope(head, readings_text(readings), truncated) == JSONResponse(old).body
    no_unit = {**head, "unit": None}
    assert (
        envelope(no_unit, readings_text(readings), truncated)
        == JSONResponse({**no_unit, "readings": old["readings"], "truncated": truncated}).body
    )


# --- the stores' fast path ---------------------------------------------------------------------
async def same_as_readings(
    store: HistoryStore, ref: PointRef, window: tuple[int, int], limit: int, *,
    fast_only: bool = False, seqs_from: int | None = None,
) -> RawJson:  # fmt: skip
    """readings_json must answer what readings() does, in the old encoding, byte for byte.
    ``fast_only``: and without falling back to readings() (the SQL path did it all)."""
    start, end = window
    since = start if seqs_from is None else seqs_from
    general = store.readings
    if fast_only:

        async def no_fallback(*args: object) -> object:
            raise AssertionError("readings_json fell back to readings()")

        store.readings = no_fallback  # type: ignore[method-assign,assignment]
    try:
        fast = await store.readings_json(ref, start, end, limit, since)
    finally:
        store.readings = general  # type: ignore[method-assign]
    got, truncated = await store.readings(ref, start, end, limit)
    assert fast.text == old_encoding(got)
    assert (fast.count, fast.truncated) == (len(got), truncated)
    assert sorted(fast.seqs) == sorted(r.seq for r in got if r.ts_ms >= since)
    assert fast.last_ts_ms == (got[-1].ts_ms if got else None)
    return fast


async def test_fast_path_is_byte_identical_on_awkward_values_and_times(store: HistoryStore) -> None:
    rng = random.Random(1414)
    values = awkward_floats(rng, 3_000)
    times = awkward_times(rng, 3_000)
    await store.write(
        [
            Reading("dev1", "temp", "sensor", i, ts, v)
            for i, (ts, v) in enumerate(zip(times, values, strict=True))
        ]
    )
    fast = await same_as_readings(store, TEMP, (0, END_OF_9999), 100_000)
    assert fast.count == 3_000 and not fast.truncated
    await same_as_readings(store, TEMP, (T0, END_OF_9999), 50)  # truncated: the most recent 50
    # Below 1e15 (PostgreSQL writes 1e15..1e16 with an exponent and some integral values above
    # with 17 digits, so those go the general path) the SQL text is exact all by itself.
    exact = [v for v in values if abs(v) < 1e15]
    await store.write(
        [
            Reading("dev1", "exact", "sensor", 10_000 + i, ts, v)
            for i, (ts, v) in enumerate(zip(times, exact, strict=False))
        ]
    )
    ref = PointRef("dev1", "sensor", "exact")
    # PostgreSQL's ts is exact up to 2255 (the ms in a float8's 53 bits), SQLite's up to 9999.
    fast = await same_as_readings(store, ref, (0, 2**53 // 1000), 100_000, fast_only=True)
    await same_as_readings(store, ref, (0, END_OF_9999), 100_000)
    assert fast.count > 500


async def test_fast_path_of_the_common_day_at_1_per_s(store: HistoryStore) -> None:
    """The benchmark's shape (values the fast path formats in SQL on PostgreSQL, no fallback)."""
    await store.write(
        [
            Reading("dev1", "temp", "sensor", s, T0 + s * 1000, 20.0 + (s % 600) / 100)
            for s in range(3_600)
        ]
    )
    fast = await same_as_readings(store, TEMP, (T0, T0 + 3_600_000), 3_000, fast_only=True)
    assert fast.truncated and fast.count == 3_000
    # the ring merge asks only for the seqs from the ring's oldest on (the newest readings)
    window = (T0, T0 + 3_600_000)
    tail = await same_as_readings(
        store, TEMP, window, 3_000, fast_only=True, seqs_from=T0 + 3_590_000
    )
    assert sorted(tail.seqs) == list(range(3_590, 3_600))
    none = await same_as_readings(
        store, TEMP, window, 3_000, fast_only=True, seqs_from=T0 + 3_600_001
    )
    assert list(none.seqs) == [] and none.last_ts_ms == T0 + 3_599_000
    assert fast.text.startswith('[{"value":20.0,"ts":"2025-12-01T00:10:00.000Z","seq":600},')


async def test_fast_path_keeps_booleans_and_empty_answers(store: HistoryStore) -> None:
    states = [True, False, False, True]
    await store.write(
        [Reading("dev1", "relay1", "actuator", i, T0 + i * 1000, v) for i, v in enumerate(states)]
    )
    fast = await same_as_readings(store, RELAY, (T0, T0 + 60_000), 100, fast_only=True)
    assert json.loads(fast.text)[0] == {"value": True, "ts": iso_ms(T0), "seq": 0}
    empty = await same_as_readings(store, RELAY, (T0 + 10_000, T0 + 60_000), 100)
    assert (empty.text, empty.last_ts_ms, empty.count) == ("[]", None, 0)
    unknown = await store.readings_json(PointRef("nobody", "sensor", "x"), T0, T0 + 1, 10, T0)
    assert (unknown.text, list(unknown.seqs), unknown.truncated) == ("[]", [], False)
    assert unknown.count == 0


async def test_fast_path_outside_the_sql_time_range_falls_back(store: HistoryStore) -> None:
    await store.write([Reading("dev1", "temp", "sensor", 1, T0, 1.5)])
    fast = await same_as_readings(store, TEMP, (-1_000, T0), 10)  # a window from before 1970
    assert fast.seqs == [1]


async def test_a_value_json_refuses_fails_as_the_old_encoding_did(store: HistoryStore) -> None:
    await store.write([Reading("dev1", "temp", "sensor", 1, T0, 2.5),
                       Reading("dev1", "temp", "sensor", 2, T0 + 1, math.inf)])  # fmt: skip
    got, _ = await store.readings(TEMP, T0, T0 + 10, 10)
    with pytest.raises(ValueError, match="not JSON compliant"):
        old_encoding(got)
    with pytest.raises(ValueError, match="not JSON compliant"):
        await store.readings_json(TEMP, T0, T0 + 10, 10, T0)


async def test_fast_path_orders_readings_of_one_ts_by_seq(store: HistoryStore) -> None:
    await store.write([Reading("dev1", "temp", "sensor", s, T0, s / 4) for s in (5, 3, 1, 4, 2)])
    await store.write([Reading("dev1", "temp", "sensor", 9, T0 - 1, 0.5)])
    every = await same_as_readings(store, TEMP, (T0 - 10, T0), 10, fast_only=True)
    assert [r["seq"] for r in json.loads(every.text)] == [9, 1, 2, 3, 4, 5]
    newest = await same_as_readings(store, TEMP, (T0 - 10, T0), 3, fast_only=True)
    assert [r["seq"] for r in json.loads(newest.text)] == [3, 4, 5] and newest.truncated


async def test_postgresql_text_stays_exact_whatever_the_database_sets(
    postgres_server: PostgresServer,
) -> None:
    """The pool sets extra_float_digits itself: a database set to 0 (15 digits) would otherwise
    write 0.1 + 0.2 as 0.3."""
    url = postgres_server.create_database()
    postgres_server.psql(f"ALTER DATABASE {url.rsplit('/', 1)[1]} SET extra_float_digits = 0")
    store = PostgresStore(url, description=url)
    await store.open()
    try:
        values = [0.1 + 0.2, 1 / 3, 2.0 / 7, 123.456]
        await store.write(
            [Reading("dev1", "temp", "sensor", i, T0 + i, v) for i, v in enumerate(values)]
        )
        fast = await same_as_readings(store, TEMP, (T0, T0 + 10), 10, fast_only=True)
        assert '"value":0.30000000000000004' in fast.text
    finally:
        await store.close()
