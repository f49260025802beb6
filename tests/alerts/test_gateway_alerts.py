"""Alerts end to end: a real Mosquitto, real ``pigw-gateway`` processes, real HTTP receivers, a real
PostgreSQL shared by two replicas. The agents are plain MQTT publishes of contract messages."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pigw.contract import (
    BacklogEntry,
    StateMessage,
    Topics,
    encode_backlog,
    encode_model,
    encode_state,
    format_ts,
)
from tests.alerts.receiver import Receiver
from tests.gateway.support import Gateway, SseClient, announce, meta
from tests.support.broker import Mosquitto
from tests.support.mqtt import Recorder
from tests.support.ports import free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

TOPICS = Topics()
T0 = 1_795_000_000


def reading(seq: int, value: float) -> bytes:
    return encode_state(
        StateMessage(value=value, unit="°C", ts=format_ts(T0 + seq), seq=seq, boot="b1")
    )


def alerts_file(tmp_path: Path, *hooks: tuple[str, str, float], name: str = "alerts.toml") -> Path:
    """Rules ``hot`` (d1/t above 30 for 1 s, clear 28) and ``quiet`` (any device offline), both
    notifying every webhook in ``hooks`` (name, url, timeout) and the MQTT topic."""
    lines = ['[notifiers.broker]\ntype = "mqtt"\n']
    for hook, url, timeout in hooks:
        lines.append(f'[notifiers.{hook}]\ntype = "webhook"\nurl = "{url}"\ntimeout = {timeout}\n')
    notify = json.dumps(["broker", *(hook for hook, _, _ in hooks)])
    lines.append(
        f'[[rules]]\nid = "hot"\ndevice = "d1"\npoint = "t"\nwhen = "above"\nthreshold = 30\n'
        f'clear = 28\nfor = 1\nseverity = "critical"\nnotify = {notify}\n'
    )
    lines.append(f'[[rules]]\nid = "quiet"\ndevice = "*"\nwhen = "offline"\nnotify = {notify}\n')
    path = tmp_path / name
    path.write_text("\n".join(lines))
    return path


@pytest.fixture
def mqtt(broker: Mosquitto) -> Iterator[Recorder]:
    client = Recorder(broker.host, broker.port)
    client.subscribe(TOPICS.alerts_filter())
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def start_gateway(
    broker: Mosquitto, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Gateway]]:
    started: list[Gateway] = []

    def start(*args: str, gateway_id: str = "test") -> Gateway:
        gateway = Gateway(tmp_path / "gateway", broker.url, *args, gateway_id=gateway_id)
        started.append(gateway)
        return gateway.start()

    yield start
    for gateway in started:
        gateway.stop()
        report = getattr(request.node, "rep_call", None)
        if report is None or report.failed:
            print(f"--- gateway log ---\n{gateway.process.tail(60)}")


def retained_states(mqtt: Recorder, topic: str) -> list[str]:
    return [json.loads(m.payload)["state"] for m in mqtt.on(topic) if m.payload]


def metric(gateway: Gateway, notifier: str, outcome: str) -> float:
    return gateway.metric(
        f'pigw_gateway_alert_notifications_total{{notifier="{notifier}",outcome="{outcome}"}}'
    )


def test_an_alert_fires_after_for_is_streamed_delivered_acknowledged_and_resolved(
    start_gateway: Callable[..., Gateway], mqtt: Recorder, tmp_path: Path, broker: Mosquitto
) -> None:
    with Receiver(failures=2) as hook:
        gateway = start_gateway(
            "--alerts-file", str(alerts_file(tmp_path, ("hook", hook.url, 5))),
            "--alert-retry-s", "60",
        )  # fmt: skip
        announce(mqtt, "d1")
        stream = SseClient(gateway.url + "/api/events").start()
        stream.wait_count("snapshot", 1)
        mqtt.publish(TOPICS.state("d1", "t"), reading(1, 31.5), retain=True)
        # One reading above the threshold, none after it: the clock fires it after `for` (1 s).
        pending, firing = (e.data for e in stream.wait_count("alert", 2) if e.data["rule"] == "hot")
        assert (pending["state"], firing["state"]) == ("pending", "firing")
        assert firing["value"] == 31.5 and firing["severity"] == "critical"
        assert firing["since"] == pending["since"] and firing["ts"] > firing["since"]
        assert set(firing) == {
            "rule", "device", "point", "state", "severity", "value", "since", "ts",
            "acknowledged_by",
        }  # fmt: skip
        # Delivered: the webhook after two 500s, the retained topic once.
        wait_until(lambda: hook.states() == [("hot", "firing")], 30, "the webhook's POST")
        assert hook.requests == 3 and hook.received[0] == firing
        topic = TOPICS.alert("hot", "d1", "t")
        wait_until(lambda: retained_states(mqtt, topic) == ["firing"], 10, "the alert topic")
        # A new stream's snapshot carries it; GET /api/alerts lists it.
        fresh = SseClient(gateway.url + "/api/events").start()
        (snapshot,) = fresh.wait_count("snapshot", 1)
        assert [a["state"] for a in snapshot.data["alerts"]] == ["firing"]
        fresh.close()
        listed = gateway.get("/api/alerts").json()
        assert [a["rule"] for a in listed["active"]] == ["hot"]
        assert [a["state"] for a in listed["recent"]] == ["firing"]
        # Acknowledge: it stays firing, acknowledged_by is set, nobody is notified.
        acked = gateway.post("/api/alerts/hot/d1/t/ack")
        assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "open"
        assert acked.json()["state"] == "firing"
        assert gateway.post("/api/alerts/hot/d9/t/ack").status_code == 404
        assert gateway.post("/api/alerts/quiet/d1/ack").status_code == 404
        # Between clear and threshold: still firing; at or below clear: resolved.
        mqtt.publish(TOPICS.state("d1", "t"), reading(2, 29.0), retain=True)
        mqtt.publish(TOPICS.state("d1", "t"), reading(3, 27.5), retain=True)
        wait_until(
            lambda: hook.states() == [("hot", "firing"), ("hot", "resolved")], 30, "resolved"
        )
        assert hook.received[1]["value"] == 27.5
        wait_until(lambda: retained_states(mqtt, topic) == ["firing", "resolved"], 10, "topic")
        assert [a["state"] for a in gateway.get("/api/alerts").json()["recent"]] == [
            "resolved",
            "firing",
        ]
        assert gateway.get("/api/alerts").json()["active"] == []
        assert metric(gateway, "hook", "sent") == 2 and metric(gateway, "hook", "retried") == 2
        assert metric(gateway, "broker", "sent") == 2
    # A subscriber that comes later reads the resolved JSON, retained.
    late = Recorder(broker.host, broker.port)
    try:
        late.subscribe(topic)
        (kept,) = late.wait_for(topic)
        assert kept.retain and json.loads(kept.payload)["state"] == "resolved"
    finally:
        late.close()


def test_a_restart_while_an_alert_fires_does_not_notify_again(
    start_gateway: Callable[..., Gateway], mqtt: Recorder, tmp_path: Path
) -> None:
    with Receiver() as hook:
        args = ("--alerts-file", str(alerts_file(tmp_path, ("hook", hook.url, 5))))
        gateway = start_gateway(*args)
        announce(mqtt, "pi-1")
        mqtt.publish(TOPICS.status("pi-1"), b"offline", retain=True)
        wait_until(lambda: hook.states() == [("quiet", "firing")], 20, "the firing webhook")
        gateway.stop()
        again = start_gateway(*args)
        # The stored alert is back, firing, and the retained "offline" changed nothing.
        wait_until(
            lambda: [a["state"] for a in again.get("/api/alerts").json()["active"]] == ["firing"],
            10,
            "the alert restored",
        )
        mqtt.publish(TOPICS.status("pi-1"), b"online", retain=True)
        wait_until(lambda: len(hook.received) >= 2, 20, "the resolved webhook")
        # Deliveries of one alert are in order: a second "firing" would have come before this.
        assert hook.states() == [("quiet", "firing"), ("quiet", "resolved")]
        recent = again.get("/api/alerts").json()["recent"]
        assert [a["state"] for a in recent] == ["resolved", "firing"]


def test_two_replicas_on_one_postgresql_deliver_each_transition_exactly_once(
    start_gateway: Callable[..., Gateway], mqtt: Recorder, tmp_path: Path, postgres_url: str
) -> None:
    with Receiver() as hook:
        args = (
            "--alerts-file", str(alerts_file(tmp_path, ("hook", hook.url, 5))),
            "--history-url", postgres_url,
        )  # fmt: skip
        replicas = [start_gateway(*args, gateway_id=f"gw-{n}") for n in (1, 2)]
        streams = [SseClient(r.url + "/api/events").start() for r in replicas]
        announce(mqtt, "pi-1")
        for n, status in enumerate([b"offline", b"online", b"offline", b"online"], start=1):
            mqtt.publish(TOPICS.status("pi-1"), status, retain=True)
            wait_until(lambda n=n: len(hook.received) >= n, 20, f"webhook {n}")
            # Both replicas have decided this transition (one claimed it, one lost the claim).
            wait_until(
                lambda n=n: (
                    sum(
                        r.metric('pigw_gateway_alert_events_total{what="claim_lost"}')
                        for r in replicas
                    )
                    >= n
                ),
                20,
                f"both replicas past transition {n}",
            )
        assert hook.states() == [
            ("quiet", "firing"), ("quiet", "resolved"), ("quiet", "firing"), ("quiet", "resolved"),
        ]  # fmt: skip
        assert len({(d["state"], d["ts"]) for d in hook.received}) == 4
        retained = retained_states(mqtt, TOPICS.alert("quiet", "pi-1"))
        assert retained == ["firing", "resolved", "firing", "resolved"]
        # Each replica's own stream showed every state change to its clients.
        for stream in streams:
            wait_until(
                lambda stream=stream: (
                    [e.data["state"] for e in stream.of("alert") if e.data["state"] != "pending"][
                        :4
                    ]
                    == ["firing", "resolved", "firing", "resolved"]
                ),
                10,
                "the alerts on each replica's stream",
            )
        # Both read the same history from the shared store.
        recents = [[a["state"] for a in r.get("/api/alerts").json()["recent"]] for r in replicas]
        assert recents[0] == recents[1] == ["resolved", "firing", "resolved", "firing"]


def test_hanging_and_refusing_webhooks_neither_block_the_stream_nor_the_good_receiver(
    start_gateway: Callable[..., Gateway], mqtt: Recorder, tmp_path: Path
) -> None:
    refused = f"http://127.0.0.1:{free_port()}/hook"
    with Receiver(hang=True) as hanging, Receiver() as good:
        path = alerts_file(
            tmp_path, ("hanging", hanging.url, 1), ("refusing", refused, 1), ("good", good.url, 5)
        )
        gateway = start_gateway("--alerts-file", str(path), "--alert-retry-s", "3")
        stream = SseClient(gateway.url + "/api/events").start()
        announce(mqtt, "d1")
        mqtt.publish(TOPICS.status("d1"), b"offline", retain=True)
        wait_until(lambda: good.states() == [("quiet", "firing")], 20, "the good receiver")
        # The live stream goes on while the bad receivers are retried.
        for seq in range(1, 6):
            mqtt.publish(TOPICS.state("d1", "t"), reading(seq, 20.0 + seq), retain=True)
        stream.wait_for(
            lambda events: [e.data["seq"] for e in events if e.event == "reading"][-1:] == [5],
            10,
            "the readings after the alert",
        )
        assert hanging.requests >= 1
        wait_until(
            lambda: (
                metric(gateway, "hanging", "failed") == 1
                and metric(gateway, "refusing", "failed") == 1
            ),
            30,
            "both bad receivers given up after --alert-retry-s",
        )
        assert metric(gateway, "refusing", "retried") >= 1
        assert metric(gateway, "good", "sent") == 1


def test_sighup_reloads_the_rules_and_keeps_them_when_the_file_is_bad(
    start_gateway: Callable[..., Gateway], mqtt: Recorder, tmp_path: Path
) -> None:
    path = alerts_file(tmp_path)
    gateway = start_gateway("--alerts-file", str(path))
    reloads = 'pigw_gateway_alert_reloads_total{result="%s"}'
    path.write_text(path.read_text() + '\n[[rules]]\nid = "bad"\ndevice = "x"\nwhen = "above"\n')
    gateway.process.signal(signal.SIGHUP)
    wait_until(lambda: gateway.metric(reloads % "refused") == 1, 10, "the refused reload")
    assert "rule 'bad': key 'point'" in gateway.process.tail(20)
    assert gateway.metric("pigw_gateway_alert_rules") == 2
    path.write_text(path.read_text().split("\n[[rules]]\nid = \"bad\"")[0].replace(
        'id = "quiet"', 'id = "silent"'))  # fmt: skip
    gateway.process.signal(signal.SIGHUP)
    wait_until(lambda: gateway.metric(reloads % "ok") == 1, 10, "the good reload")
    announce(mqtt, "d7")
    mqtt.publish(TOPICS.status("d7"), b"offline", retain=True)
    wait_until(
        lambda: [a["rule"] for a in gateway.get("/api/alerts").json()["active"]] == ["silent"],
        10,
        "the renamed rule's alert",
    )


def test_a_stale_point_fires_and_a_backlog_of_a_past_hot_spell_fires_nothing(
    start_gateway: Callable[..., Gateway], mqtt: Recorder, tmp_path: Path
) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text(
        '[[rules]]\nid = "stuck"\ndevice = "*"\npoint = "t"\nwhen = "stale"\n\n'
        '[[rules]]\nid = "hot"\ndevice = "d2"\npoint = "t"\nwhen = "above"\nthreshold = 30\n'
    )
    gateway = start_gateway("--alerts-file", str(path))
    stream = SseClient(gateway.url + "/api/events").start()
    # d1 declares a reading every 0.4 s and sends one: stale after 2.5 x 0.4 s without another.
    mqtt.publish(TOPICS.meta("d1"), encode_model(meta("d1", interval=0.4)), retain=True)
    mqtt.publish(TOPICS.status("d1"), b"online", retain=True)
    mqtt.publish(TOPICS.state("d1", "t"), reading(1, 20.0), retain=True)
    fired = stream.wait_for(
        lambda events: [
            e.data for e in events if e.event == "alert" and e.data["state"] == "firing"
        ],
        20,
        "the stale alert",
    )
    assert [(a["rule"], a["device"], a["point"]) for a in fired] == [("stuck", "d1", "t")]
    mqtt.publish(TOPICS.state("d1", "t"), reading(2, 20.5), retain=True)
    stream.wait_for(
        lambda events: any(e.event == "alert" and e.data["state"] == "resolved" for e in events),
        20,
        "the stale alert resolved by a fresh reading",
    )
    # d2 was away: its backlog shows a hot spell that was over before it came back.
    announce(mqtt, "d2")
    mqtt.publish(TOPICS.state("d2", "t"), reading(10, 22.0), retain=True)
    spell = [(11, 25.0), (12, 33.0), (13, 35.0), (14, 26.0)]
    entries = [
        BacklogEntry(value=v, unit="°C", ts=format_ts(T0 + s), seq=s, boot="b1", sensor="t")
        for s, v in spell
    ]
    (payload,) = encode_backlog(entries)
    mqtt.publish(TOPICS.backlog("d2"), payload)
    mqtt.publish(TOPICS.state("d2", "t"), reading(15, 24.0), retain=True)  # the live value after
    stream.wait_for(
        lambda events: any(
            e.event == "reading" and e.data["device"] == "d2" and e.data["seq"] == 15
            for e in events
        ),
        20,
        "the backlog and the live reading after it on the stream",
    )
    hot = [e.data for e in stream.of("alert") if e.data["rule"] == "hot"]
    assert [a["state"] for a in hot] == ["pending", "resolved"]  # shown, never fired
    assert gateway.get("/api/alerts").json()["recent"][0]["rule"] == "stuck"
    assert all(a["rule"] != "hot" for a in gateway.get("/api/alerts").json()["recent"])
