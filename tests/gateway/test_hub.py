"""The hub (pure): numbering, shared encoded batches, filters, resume, slow streams, wake-ups."""

from __future__ import annotations

import asyncio
import json

import pytest

from gateway.hub import Hub, Transport
from gateway.hub.encoding import dumps, reading_json
from gateway.hub.event import parse_event_id
from tests.support.sse import events as sse_events


def snapshot_source(devices: frozenset[str] | None) -> str:
    return json.dumps({"devices": sorted(devices or [])})


def make_hub(**kwargs: object) -> Hub:
    return Hub(epoch="e1", snapshot_source=snapshot_source, **kwargs)  # type: ignore[arg-type]


def reading(hub: Hub, device: str = "d1", value: float = 1.0) -> None:
    hub.publish("reading", device, {"device": device, "sensor": "t", "value": value})


def test_events_are_numbered_without_holes_and_encoded_once() -> None:
    hub = make_hub()
    first = hub.publish("broker", None, {"connected": True})
    second = hub.publish("reading", "d1", {"device": "d1", "value": 2})
    assert (first.id, second.id) == ("e1-1", "e1-2")
    assert second.sse == b'id: e1-2\nevent: reading\ndata: {"device":"d1","value":2}\n\n'
    assert second.ws_text() == '{"id":"e1-2","type":"reading","data":{"device":"d1","value":2}}'
    assert second.ws_text() is second.ws_text()


def test_a_new_stream_gets_retry_then_a_snapshot_with_the_last_id() -> None:
    hub = make_hub(retry_ms=1500)
    reading(hub)
    sub = hub.subscribe(Transport.SSE)
    assert sub.intro_snapshot is not None and sub.intro_reset is None
    blob = hub.take_sse(sub)
    assert blob.startswith(b"retry: 1500\n\n")
    (snap,) = sse_events(blob)
    assert snap["event"] == "snapshot" and snap["id"] == "e1-1"
    assert hub.take_sse(sub) == b""
    reading(hub, value=2.0)
    (live,) = sse_events(hub.take_sse(sub))
    assert live["id"] == "e1-2"


def test_streams_at_the_same_cursor_share_the_same_bytes_object() -> None:
    hub = make_hub()
    subs = [hub.subscribe(Transport.SSE) for _ in range(3)]
    for sub in subs:
        hub.take_sse(sub)
    for i in range(5):
        reading(hub, value=float(i))
    batches = [hub.take_sse(sub) for sub in subs]
    assert batches[0] is batches[1] is batches[2]
    assert [e["id"] for e in sse_events(batches[0])] == [f"e1-{n}" for n in range(1, 6)]
    assert hub.stats.delivered == 15


def test_filters_apply_to_device_events_but_broker_reaches_everyone() -> None:
    hub = make_hub()
    sub = hub.subscribe(Transport.SSE, devices=frozenset({"d2"}), types=frozenset({"reading"}))
    hub.take_sse(sub)
    reading(hub, "d1")
    reading(hub, "d2")
    hub.publish("status", "d2", {"device": "d2", "online": True})
    hub.publish("broker", None, {"connected": False})
    events = sse_events(hub.take_sse(sub))
    assert [(e["event"], e["id"]) for e in events] == [("reading", "e1-2"), ("broker", "e1-4")]


def test_the_snapshot_is_filtered_by_device() -> None:
    hub = make_hub()
    sub = hub.subscribe(Transport.SSE, devices=frozenset({"d2"}))
    (snap,) = sse_events(hub.take_sse(sub))
    assert json.loads(snap["data"]) == {"devices": ["d2"]}


def test_resume_within_the_ring_gives_exactly_the_missed_events_and_no_snapshot() -> None:
    hub = make_hub()
    for i in range(5):
        reading(hub, value=float(i))
    sub = hub.subscribe(Transport.SSE, last_event_id="e1-2")
    assert sub.intro_snapshot is None  # resumed: no snapshot
    events = sse_events(hub.take_sse(sub))
    assert [e["id"] for e in events] == ["e1-3", "e1-4", "e1-5"]
    assert all(e["event"] == "reading" for e in events)
    assert hub.stats.resume_hits == 1


def test_resume_at_the_head_gets_nothing_but_the_retry_hint() -> None:
    hub = make_hub(retry_ms=100)
    reading(hub)
    sub = hub.subscribe(Transport.SSE, last_event_id="e1-1")
    assert sub.intro_snapshot is None  # resumed: no snapshot
    assert hub.take_sse(sub) == b"retry: 100\n\n"


@pytest.mark.parametrize(
    ("last_id", "reason"),
    [("other-3", "epoch"), ("garbage", "epoch"), ("e1-1", "expired"), ("e1-99", "expired")],
)
def test_an_unresumable_id_gets_reset_without_id_then_a_snapshot(last_id: str, reason: str) -> None:
    hub = make_hub(max_events=16)
    for i in range(40):
        reading(hub, value=float(i))
    sub = hub.subscribe(Transport.SSE, last_event_id=last_id)
    reset, snap = sse_events(hub.take_sse(sub))
    assert reset["event"] == "reset" and "id" not in reset
    assert json.loads(reset["data"]) == {"reason": reason}
    assert snap["event"] == "snapshot" and snap["id"] == "e1-40"
    assert hub.stats.resume_misses == 1


def test_a_stream_that_fell_out_of_the_ring_gets_reset_and_snapshot_then_continues() -> None:
    hub = make_hub(max_events=16)
    slow = hub.subscribe(Transport.SSE)
    hub.take_sse(slow)
    for i in range(40):
        reading(hub, value=float(i))
    reset, snap = sse_events(hub.take_sse(slow))
    assert json.loads(reset["data"]) == {"reason": "behind"}
    assert snap["id"] == "e1-40"
    assert hub.stats.slow_resets == 1
    reading(hub)
    (live,) = sse_events(hub.take_sse(slow))
    assert live["id"] == "e1-41"


def test_quiet_sse_streams_get_a_ping_from_the_tick_busy_ones_do_not() -> None:
    hub = make_hub(ping_interval=15)
    quiet = hub.subscribe(Transport.SSE)
    hub.take_sse(quiet)
    hub.tick(10.0)
    assert hub.take_sse(quiet) == b""
    hub.tick(16.0)
    assert hub.take_sse(quiet) == b": ping\n\n"
    quiet.last_write = 16.0
    hub.tick(20.0)
    assert hub.take_sse(quiet) == b""


class _Connection:
    """A server's abort hook (:class:`gateway.hub.Abortable`) that records its calls."""

    def __init__(self, aborted: list[bool]) -> None:
        self.aborted = aborted

    def abort(self) -> None:
        self.aborted.append(True)


class _Writer:
    """A server's direct write (:class:`gateway.hub.DirectWriter`) into a list."""

    def __init__(self, written: list[bytes], *, writable: bool) -> None:
        self.written = written
        self.writable = writable

    def abort(self) -> None:
        raise AssertionError("not aborted in these tests")

    def can_write(self) -> bool:
        return self.writable

    def write_now(self, body: bytes) -> None:
        self.written.append(body)


def test_a_write_blocked_past_the_timeout_is_aborted_once_and_counted() -> None:
    hub = make_hub(slow_timeout=30)
    sub = hub.subscribe(Transport.SSE)
    aborted: list[bool] = []
    sub.connection = _Connection(aborted)
    sub.sending_since = 100.0
    hub.tick(120.0)
    assert not aborted
    hub.tick(131.0)
    hub.tick(140.0)
    assert aborted == [True]
    assert sub.closed == "slow" and hub.stats.slow_closed == 1


def test_close_all_ends_streams_and_refuses_new_ones() -> None:
    hub = make_hub()
    idle = hub.subscribe(Transport.SSE)
    blocked = hub.subscribe(Transport.SSE)
    aborted: list[bool] = []
    blocked.connection = _Connection(aborted)
    blocked.sending_since = 0.0
    hub.close_all()
    assert hub.closing
    assert idle.closed == "shutdown" and blocked.closed == "shutdown"
    assert aborted == [True]


async def test_one_wake_up_per_loop_turn_resolves_every_waiting_stream() -> None:
    hub = make_hub()
    subs = [hub.subscribe(Transport.SSE) for _ in range(3)]
    for sub in subs:
        hub.take_sse(sub)
    waits = [asyncio.create_task(hub.wait(sub)) for sub in subs]
    await asyncio.sleep(0)  # poll: let the waits register
    scheduled: list[object] = []
    loop = asyncio.get_running_loop()
    original = loop.call_soon

    def counting_call_soon(callback, *args, **kwargs):  # type: ignore[no-untyped-def]
        scheduled.append(callback)
        return original(callback, *args, **kwargs)

    loop.call_soon = counting_call_soon  # type: ignore[method-assign]
    try:
        for i in range(10):
            reading(hub, value=float(i))
    finally:
        loop.call_soon = original  # type: ignore[method-assign]
    assert len(scheduled) == 1
    await asyncio.wait_for(asyncio.gather(*waits), 5)
    assert all(len(sse_events(hub.take_sse(sub))) == 10 for sub in subs)


async def test_cancelling_one_waiting_stream_leaves_the_others_waiting() -> None:
    hub = make_hub()
    a = hub.subscribe(Transport.SSE)
    b = hub.subscribe(Transport.SSE)
    hub.take_sse(a)
    hub.take_sse(b)
    wait_a = asyncio.create_task(hub.wait(a))
    wait_b = asyncio.create_task(hub.wait(b))
    await asyncio.sleep(0)  # poll: let the waits register
    wait_a.cancel()
    await asyncio.sleep(0)  # poll
    reading(hub)
    await asyncio.wait_for(wait_b, 5)
    assert wait_a.cancelled()


def test_websocket_streams_get_one_text_per_event_with_the_same_ids() -> None:
    hub = make_hub()
    sub = hub.subscribe(Transport.WS)
    (snap,) = hub.take_ws(sub)
    assert json.loads(snap)["type"] == "snapshot"
    reading(hub)
    hub.publish("broker", None, {"connected": True})
    texts = [json.loads(t) for t in hub.take_ws(sub)]
    assert [(t["id"], t["type"]) for t in texts] == [("e1-1", "reading"), ("e1-2", "broker")]


def test_event_ids_parse_strictly() -> None:
    assert parse_event_id("abc-12") is not None
    for bad in (None, "", "12", "abc-", "abc-x", "abc-١٢", "a" * 80):
        assert parse_event_id(bad) is None


def test_a_stream_subscribing_during_shutdown_ends_at_once() -> None:
    hub = make_hub()
    hub.close_all()
    late = hub.subscribe(Transport.SSE)
    assert late.closed == "shutdown" and hub.has_pending(late)


async def test_a_parked_stream_with_a_direct_write_gets_its_batch_without_waking_its_task() -> None:
    hub = make_hub()
    direct, fallback = hub.subscribe(Transport.SSE), hub.subscribe(Transport.SSE)
    written: list[bytes] = []
    direct.writer = direct_writer = _Writer(written, writable=True)
    fallback.writer = _Writer(written, writable=False)  # above the high-water mark: its task writes
    for sub in (direct, fallback):
        hub.take_sse(sub)
    waits = {sub: asyncio.create_task(hub.wait(sub)) for sub in (direct, fallback)}
    await asyncio.sleep(0)  # poll: let the waits register
    reading(hub, value=1.0)
    reading(hub, value=2.0)
    await asyncio.wait_for(waits[fallback], 5)
    assert [e["id"] for e in sse_events(b"".join(written))] == ["e1-1", "e1-2"]
    assert not waits[direct].done() and direct.cursor == 3  # still parked, nothing pending
    assert len(sse_events(hub.take_sse(fallback))) == 2 and written == written[:1]
    direct_writer.writable = False  # e.g. the client went away: the task is woken to end it
    reading(hub, value=3.0)
    await asyncio.wait_for(waits[direct], 5)
    assert [e["id"] for e in sse_events(hub.take_sse(direct))] == ["e1-3"]


@pytest.mark.parametrize(
    ("value", "unit", "hist", "role"),
    [
        (21.5, "°C", True, "sensor"),
        (True, None, False, "actuator"),
        (False, 'x"y\\z\n', True, "sensor"),
        (-3, "ms", False, "sensor"),
        (1e-300, "\ud800", True, "sensor"),
        (12345678901234567890, "", False, "sensor"),
    ],
)
def test_reading_json_is_what_dumps_writes(
    value: object, unit: str | None, hist: bool, role: str
) -> None:
    doc = {
        "device": "dev-ü1",
        role: "temp",
        "value": value,
        "unit": unit,
        "ts": "2026-11-24T06:00:00.123Z",
        "seq": 812,
        "boot": "7f3a",
        "hist": hist,
    }
    got = reading_json(
        "dev-ü1",
        role,
        "temp",
        value=value,  # type: ignore[arg-type]
        unit=unit,
        ts="2026-11-24T06:00:00.123Z",
        seq=812,
        boot="7f3a",
        hist=hist,
    )
    assert got == dumps(doc)
