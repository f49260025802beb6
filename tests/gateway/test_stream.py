"""The SSE stream against a real uvicorn and a real Mosquitto."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import httpx
import pytest

from pigw.contract import OFFLINE, Topics
from tests.gateway.support import (
    Gateway,
    SseClient,
    StalledClient,
    announce,
    backlog,
    event_n,
    readings,
    state,
)
from tests.support.broker import Mosquitto
from tests.support.mqtt import Recorder
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
T = Topics()

StartGateway = Callable[..., Gateway]


def publish_readings(mqtt: Recorder, device: str, seqs: range, sensor: str = "t") -> None:
    for seq in seqs:
        mqtt.publish(T.state(device, sensor), state(seq, float(seq)), retain=True)


def test_a_new_stream_gets_the_retained_state_as_snapshot_then_live_events(
    start_gateway: StartGateway, mqtt: Recorder
) -> None:
    announce(mqtt, "d1")
    publish_readings(mqtt, "d1", range(1, 4))
    gateway = start_gateway()
    client = SseClient(gateway.url + "/api/events").start()
    try:
        assert client.status == 200
        (snapshot,) = client.wait_count("snapshot", 1)
        assert client.retry == 2000  # it comes before the first event, so it is in by now
        (device,) = snapshot.data["devices"]
        assert device["id"] == "d1" and device["online"] is True
        assert device["sensors"]["t"]["value"] == 3.0 and device["sensors"]["t"]["seq"] == 3
        # Contract v3: the devices exactly as GET /api/devices, and the active alerts (none here).
        assert snapshot.data == {**gateway.get("/api/devices").json(), "alerts": []}
        publish_readings(mqtt, "d1", range(4, 7))
        live = client.wait_for(
            lambda ev: len(readings(ev)) >= 3 and readings(ev), what="3 readings"
        )
        assert [e.data["seq"] for e in live] == [4, 5, 6]
        assert all(e.data["hist"] is False for e in live)
        numbers = [event_n(e) for e in live]
        assert numbers == list(range(numbers[0], numbers[0] + 3))
        assert numbers[0] == event_n(snapshot) + 1
    finally:
        client.close()


def test_resume_with_last_event_id_gets_exactly_the_missed_events(
    start_gateway: StartGateway, mqtt: Recorder
) -> None:
    announce(mqtt, "d1")
    gateway = start_gateway()
    first = SseClient(gateway.url + "/api/events").start()
    publish_readings(mqtt, "d1", range(1, 4))
    seen = first.wait_for(lambda ev: len(readings(ev)) >= 3 and readings(ev), what="readings")
    first.close()
    publish_readings(mqtt, "d1", range(4, 9))
    wait_until(lambda: gateway.metric('pigw_gateway_events_total{type="reading"}') >= 8, 20)
    resumed = SseClient(gateway.url + "/api/events", {"Last-Event-ID": seen[-1].id or ""}).start()
    try:
        got = resumed.wait_for(lambda ev: len(readings(ev)) >= 5 and ev, what="missed events")
        assert resumed.of("snapshot") == [] and resumed.of("reset") == []
        assert [e.data["seq"] for e in readings(got)] == [4, 5, 6, 7, 8]
        assert event_n(got[0]) == event_n(seen[-1]) + 1
        assert gateway.metric('pigw_gateway_resume_total{result="hit"}') == 1
    finally:
        resumed.close()


@pytest.mark.parametrize("last_id", ["1-1", "deadbeef-3", "nonsense"])
def test_a_foreign_epoch_gets_reset_then_snapshot(
    start_gateway: StartGateway, mqtt: Recorder, last_id: str
) -> None:
    announce(mqtt, "d1")
    gateway = start_gateway()
    client = SseClient(gateway.url + "/api/events", {"Last-Event-ID": last_id}).start()
    try:
        events = client.wait_for(lambda ev: len(ev) >= 2 and ev, what="reset + snapshot")
        assert [e.event for e in events[:2]] == ["reset", "snapshot"]
        assert events[0].id is None and events[0].data == {"reason": "epoch"}
        assert events[1].data["devices"][0]["id"] == "d1"
    finally:
        client.close()


def test_an_id_that_fell_out_of_the_ring_gets_reset_then_snapshot(
    start_gateway: StartGateway, mqtt: Recorder
) -> None:
    announce(mqtt, "d1")
    gateway = start_gateway("--ring-events", "16")
    first = SseClient(gateway.url + "/api/events").start()
    (snapshot,) = first.wait_count("snapshot", 1)
    first.close()
    publish_readings(mqtt, "d1", range(1, 41))
    wait_until(lambda: gateway.metric('pigw_gateway_events_total{type="reading"}') >= 40, 20)
    client = SseClient(gateway.url + "/api/events", {"Last-Event-ID": snapshot.id or ""}).start()
    try:
        events = client.wait_for(lambda ev: len(ev) >= 2 and ev, what="reset + snapshot")
        assert [e.event for e in events[:2]] == ["reset", "snapshot"]
        assert events[0].data == {"reason": "expired"}
        assert events[1].data["devices"][0]["sensors"]["t"]["seq"] == 40
    finally:
        client.close()


def test_filters_by_device_and_type_while_broker_events_reach_everyone(
    start_gateway: StartGateway, mqtt: Recorder, broker: Mosquitto
) -> None:
    announce(mqtt, "d1")
    announce(mqtt, "d2")
    gateway = start_gateway()
    client = SseClient(gateway.url + "/api/events?device=d2&type=reading").start()
    try:
        (snapshot,) = client.wait_count("snapshot", 1)
        assert [d["id"] for d in snapshot.data["devices"]] == ["d2"]
        publish_readings(mqtt, "d1", range(1, 4))
        publish_readings(mqtt, "d2", range(1, 4))
        mqtt.publish(T.status("d2"), OFFLINE, retain=True)
        client.wait_for(lambda ev: len(readings(ev)) >= 3, what="d2's readings")
        broker.stop()
        client.wait_count("broker", 1)
        events = client.snapshot()
        assert {e.data["device"] for e in readings(events)} == {"d2"}
        assert client.of("status") == []
        assert client.of("broker")[0].data == {"connected": False}
    finally:
        client.close()
    bad = httpx.get(gateway.url + "/api/events?type=bogus", timeout=10)
    assert bad.status_code == 422


def test_broker_stop_and_start_are_broker_events_and_flip_readiness(
    start_gateway: StartGateway, mqtt: Recorder, broker: Mosquitto
) -> None:
    announce(mqtt, "d1")
    gateway = start_gateway()
    client = SseClient(gateway.url + "/api/events").start()
    try:
        client.wait_count("snapshot", 1)
        broker.stop()
        client.wait_count("broker", 1)
        wait_until(lambda: not gateway.ready(), 20, "/readyz to say not ready")
        assert gateway.get("/readyz").json()["broker_connected"] is False
        assert gateway.metric("pigw_gateway_broker_connected") == 0
        broker.start()
        events = client.wait_count("broker", 2, timeout=60)
        assert [e.data for e in events] == [{"connected": False}, {"connected": True}]
        gateway.wait_ready(60)
    finally:
        client.close()


def test_a_flood_of_malformed_payloads_is_counted_never_forwarded_and_harmless(
    start_gateway: StartGateway, mqtt: Recorder
) -> None:
    announce(mqtt, "d1")
    gateway = start_gateway()
    client = SseClient(gateway.url + "/api/events").start()
    try:
        client.wait_count("snapshot", 1)
        for i in range(300):
            mqtt.client.publish(T.state("d1", "t"), b"{not json" + str(i).encode(), qos=1)
        mqtt.client.publish("pigw/Bad Id/t/state", state(1), qos=1)
        mqtt.publish(T.state("d1", "t"), b'{"value": 1, "ts": "x", "seq": -1, "boot": "b"}')
        wait_until(
            lambda: gateway.metric('pigw_gateway_mqtt_rejected_total{reason="bad_json"}') == 300,
            30,
            "300 bad_json rejections",
        )
        assert gateway.metric('pigw_gateway_mqtt_rejected_total{reason="bad_payload"}') >= 1
        publish_readings(mqtt, "d1", range(1, 3))
        client.wait_for(lambda ev: len(readings(ev)) >= 2, what="good readings after the flood")
        assert [e.data["seq"] for e in readings(client.snapshot())] == [1, 2]
        assert gateway.ready()
        log = gateway.process.output()
        assert log.count("refused MQTT message") < 60
    finally:
        client.close()


def test_a_client_that_never_reads_does_not_hold_back_another(
    start_gateway: StartGateway, mqtt: Recorder
) -> None:
    # Enough bytes to fill the stalled client's socket buffers on both ends (the kernel lets a
    # loopback sender queue up to 4 MB), in a ring large enough that the fast client never falls
    # out of it even if its reader thread lags behind a burst.
    count = 12_000
    announce(mqtt, "d1")
    gateway = start_gateway(
        "--ring-events", "50000", "--ring-bytes", str(32 * 1024 * 1024),
        "--slow-stream-timeout", "3",
    )  # fmt: skip
    fast = SseClient(gateway.url + "/api/events").start()
    try:
        fast.wait_count("snapshot", 1)
        with StalledClient(gateway.port) as stalled:
            wait_until(lambda: gateway.metric('pigw_gateway_subscribers{transport="sse"}') == 2, 10)
            big = "x" * 250
            for seq in range(1, count + 1):
                payload = state(seq, float(seq), unit=big)
                mqtt.client.publish(T.state("d1", "t"), payload, qos=1)
            got = fast.wait_for(
                lambda ev: len(readings(ev)) >= count and readings(ev), 120, f"{count} readings"
            )
            assert [e.data["seq"] for e in got] == list(range(1, count + 1))
            numbers = [event_n(e) for e in got]
            assert numbers == list(range(numbers[0], numbers[0] + count))
            assert fast.of("reset") == []
            wait_until(
                lambda: (
                    gateway.metric('pigw_gateway_slow_subscriber_actions_total{action="closed"}')
                    == 1
                ),
                30,
                "the stalled stream to be closed",
            )
            wait_until(lambda: gateway.metric('pigw_gateway_subscribers{transport="sse"}') == 1, 10)
            wait_until(lambda: not stalled.connected(), 20, "the connection to be dropped")
        assert "ASGI callable returned without completing" not in gateway.process.output()
    finally:
        fast.close()


def test_a_websocket_that_never_reads_is_dropped(
    start_gateway: StartGateway, mqtt: Recorder
) -> None:
    announce(mqtt, "d1")
    gateway = start_gateway(
        "--ring-events", "50000", "--ring-bytes", str(32 * 1024 * 1024),
        "--slow-stream-timeout", "2",
    )  # fmt: skip
    with StalledClient(gateway.port, "/api/ws", websocket=True) as stalled:
        wait_until(lambda: gateway.metric('pigw_gateway_subscribers{transport="ws"}') == 1, 10)
        for seq in range(1, 12_001):
            mqtt.client.publish(T.state("d1", "t"), state(seq, float(seq), unit="x" * 250), qos=1)
        wait_until(
            lambda: (
                gateway.metric('pigw_gateway_slow_subscriber_actions_total{action="closed"}') == 1
            ),
            60,
            "the stalled WebSocket to be closed",
        )
        wait_until(lambda: gateway.metric('pigw_gateway_subscribers{transport="ws"}') == 0, 10)
        wait_until(lambda: not stalled.connected(), 20, "the connection to be dropped")
    assert "Exception in ASGI application" not in gateway.process.output()


def test_backlog_replays_are_deduplicated_and_gaps_ask_for_a_replay(
    start_gateway: StartGateway, mqtt: Recorder
) -> None:
    announce(mqtt, "d1")
    mqtt.subscribe(T.replay("d1"))
    gateway = start_gateway()
    client = SseClient(gateway.url + "/api/events").start()
    try:
        client.wait_count("snapshot", 1)
        publish_readings(mqtt, "d1", range(1, 3))
        publish_readings(mqtt, "d1", range(6, 7))  # 3..5 lost between agent and gateway
        (request,) = mqtt.wait_for(T.replay("d1"), 1, timeout=20)
        assert request.payload == b'{"from_seq":3,"to_seq":5}' and not request.retain
        mqtt.publish(T.backlog("d1"), backlog("t", [2, 3, 4, 5]))  # 2 is a duplicate
        mqtt.publish(T.backlog("d1"), backlog("t", [3, 4, 5]))  # all duplicates
        # One client's messages reach the gateway in order: once seq 7, published after the
        # duplicates, is on the stream, any duplicate that (wrongly) got through is there too.
        publish_readings(mqtt, "d1", range(7, 8))
        client.wait_for(lambda ev: any(e.data["seq"] == 7 for e in readings(ev)), what="seq 7")
        got = readings(client.snapshot())
        assert [(e.data["seq"], e.data["hist"]) for e in got] == [
            (1, False), (2, False), (6, False), (3, True), (4, True), (5, True), (7, False),
        ]  # fmt: skip
        assert gateway.metric("pigw_gateway_duplicates_total") == 4
        assert gateway.get("/api/devices/d1").json()["sensors"]["t"]["seq"] == 7
        # v2's form (limit): these readings are older than v3's default window of 24 h
        history = gateway.get("/api/devices/d1/sensors/t/history?limit=100").json()["readings"]
        assert [r["seq"] for r in history] == [1, 2, 3, 4, 5, 6, 7]
    finally:
        client.close()


def test_the_first_snapshot_waits_for_the_retained_state(
    start_gateway: StartGateway, broker: Mosquitto, mqtt: Recorder
) -> None:
    for i in range(30):
        announce(mqtt, f"dev{i}")
    # A paused broker takes the gateway's connection but answers nothing: no retained state yet
    # when the client asks, so a gateway that did not wait would send an empty snapshot.
    broker.pause()
    try:
        gateway = start_gateway("--snapshot-wait", "30", ready=False)
        client = SseClient(gateway.url + "/api/events").start()  # the headers come at once
        assert client.status == 200 and not gateway.ready()
    finally:
        broker.resume()
    try:
        (snapshot,) = client.wait_count("snapshot", 1)
        assert len(snapshot.data["devices"]) == 30
    finally:
        client.close()


def test_shutdown_with_open_streams_finishes_promptly(
    start_gateway: StartGateway, mqtt: Recorder
) -> None:
    announce(mqtt, "d1")
    mqtt.subscribe(T.gateway_status("test"))
    gateway = start_gateway()
    clients = [SseClient(gateway.url + "/api/events").start() for _ in range(5)]
    for client in clients:
        client.wait_count("snapshot", 1)
    with StalledClient(gateway.port):
        begun = time.monotonic()
        assert gateway.stop() in (0, -signal.SIGTERM)
        took = time.monotonic() - begun
    assert took < 9, f"uvicorn hung on open streams for {took:.1f}s"
    assert all(wait_until(lambda c=c: c.ended, 10, "the stream to end") for c in clients)
    out = gateway.process.output()
    assert "Cancel" not in out and "Exception in ASGI application" not in out
    wait_until(lambda: mqtt.on(T.gateway_status("test"))[-1].payload == OFFLINE, 10)


def test_max_streams_refuses_with_503(start_gateway: StartGateway, mqtt: Recorder) -> None:
    gateway = start_gateway("--max-streams", "2")
    clients = [SseClient(gateway.url + "/api/events").start() for _ in range(2)]
    try:
        extra = httpx.get(gateway.url + "/api/events", timeout=10)
        assert extra.status_code == 503 and "retry-after" in extra.headers
        clients[0].close()
        wait_until(lambda: gateway.metric('pigw_gateway_subscribers{transport="sse"}') == 1, 10)
        again = SseClient(gateway.url + "/api/events").start()
        assert again.status == 200
        again.close()
    finally:
        for client in clients:
            client.close()


def test_messages_published_while_the_gateway_was_away_arrive_after_its_restart(
    start_gateway: StartGateway, mqtt: Recorder
) -> None:
    # The persistent session (fixed client id, clean start off, a session expiry) keeps QoS 1
    # messages for the gateway while it is away: a backlog published then is not lost.
    announce(mqtt, "d1")
    publish_readings(mqtt, "d1", range(1, 3))
    first = start_gateway()
    assert first.get("/api/devices/d1").json()["sensors"]["t"]["seq"] == 2
    first.stop()
    mqtt.publish(T.backlog("d1"), backlog("t", [3, 4, 5]))  # not retained: only the session has it
    second = start_gateway()
    # The new gateway knows seq 2 from the retained state and 3..5 from the session (seq 1 was
    # only ever in the first gateway's memory). v2's form (limit): these readings are older than
    # v3's default window of 24 h.
    history = second.get("/api/devices/d1/sensors/t/history?limit=100").json()["readings"]
    assert [r["seq"] for r in history] == [2, 3, 4, 5]
    assert second.get("/api/devices/d1").json()["sensors"]["t"]["seq"] == 5
