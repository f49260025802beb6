"""The alerts' edge in one process: events, storing, exactly-once claims, SIGHUP reloads.

Real stores (memory, SQLite), a fake clock and a fake MQTT publish; the sockets come in
tests/alerts/test_gateway_alerts.py."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.alerts.alert import AlertKey
from gateway.alerts.service import Alerting
from gateway.alerts.sqlite_store import SqliteAlertStore
from gateway.alerts.store import AlertStore, MemoryAlertStore
from pigw.contract import Topics, Value, format_ts

RULES = """
[notifiers.broker]
type = "mqtt"

[[rules]]
id = "hot"
device = "room"
point = "temp"
when = "above"
threshold = 30
for = 60
notify = ["broker"]

[[rules]]
id = "quiet"
device = "*"
when = "offline"
notify = ["broker"]

[[rules]]
id = "stuck"
device = "*"
point = "temp"
when = "stale"
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now


class Outside:
    """What the alerts edge talks to: the hub, the broker, the registry."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.retained: list[tuple[str, dict[str, Any]]] = []
        self.stale: dict[tuple[str, str], bool] = {}

    def publish_event(self, name: str, device: str | None, data: dict[str, Any]) -> None:
        assert name == "alert" and device == data["device"]
        self.events.append(data)

    async def publish_retained(self, topic: str, payload: bytes) -> None:
        self.retained.append((topic, json.loads(payload)))

    def freshness(self, device: str, point: str, now: float) -> tuple[bool, Value | None] | None:
        stale = self.stale.get((device, point))
        return None if stale is None else (stale, 1.0)


def make(
    tmp_path: Path, store: AlertStore, clock: Clock, outside: Outside, gateway_id: str = "a"
) -> Alerting:
    path = tmp_path / "alerts.toml"
    if not path.exists():
        path.write_text(RULES)
    return Alerting(
        rules_path=path,
        store=store,
        topics=Topics(),
        gateway_id=gateway_id,
        publish_event=outside.publish_event,
        publish_retained=outside.publish_retained,
        devices=lambda: sorted({d for d, _ in outside.stale}),
        freshness=outside.freshness,
        retry_s=60,
        clock=clock,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def started(tmp_path: Path, clock: Clock) -> AsyncIterator[Callable[..., Any]]:
    running: list[Alerting] = []

    async def start(store: AlertStore, outside: Outside, gateway_id: str = "a") -> Alerting:
        alerting = make(tmp_path, store, clock, outside, gateway_id)
        await alerting.start()
        running.append(alerting)
        return alerting

    yield start
    for alerting in running:
        await alerting.stop()


async def settle(*alertings: Alerting) -> None:
    for alerting in alertings:
        await alerting.idle()
        await alerting.dispatcher.idle()


async def test_a_firing_alert_is_streamed_stored_and_published_once(
    started: Any, clock: Clock
) -> None:
    outside, store = Outside(), MemoryAlertStore()
    alerting = await started(store, outside)
    alerting.reading("room", "temp", 31.0, format_ts(clock.now), past=False)
    assert [e["state"] for e in outside.events] == ["pending"]
    clock.now += 61
    alerting.tick()
    await settle(alerting)
    assert [e["state"] for e in outside.events] == ["pending", "firing"]
    assert [(t, d["state"]) for t, d in outside.retained] == [
        ("pigw/_alerts/hot/room/temp", "firing")
    ]
    assert [a["state"] for a in alerting.active_docs()] == ["firing"]
    assert [a["state"] for a in await alerting.recent_docs()] == ["firing"]


async def test_two_gateways_sharing_one_store_deliver_each_transition_once(
    started: Any, clock: Clock, tmp_path: Path
) -> None:
    store = SqliteAlertStore(tmp_path / "history.db")
    first_out, second_out = Outside(), Outside()
    first = await started(store, first_out, "a")
    second = await started(SqliteAlertStore(tmp_path / "history.db"), second_out, "b")
    for online in (False, True, False, True):
        for alerting in (first, second):
            alerting.status("pi-1", online)
        clock.now += 1
        await settle(first, second)
    # Whichever claims first delivers; together they delivered each transition exactly once.
    delivered = sorted((d["state"], d["ts"]) for _, d in first_out.retained + second_out.retained)
    assert [state for state, _ in delivered] == ["firing", "firing", "resolved", "resolved"]
    assert len(set(delivered)) == 4
    assert first.stats.claims_lost + second.stats.claims_lost == 4
    # Both streams showed every state change to their own clients.
    assert [e["state"] for e in second_out.events][:2] == ["pending", "firing"]


async def test_a_restart_while_firing_does_not_notify_again(
    started: Any, clock: Clock, tmp_path: Path
) -> None:
    outside = Outside()
    first = await started(SqliteAlertStore(tmp_path / "history.db"), outside)
    first.status("pi-1", False)
    await settle(first)
    await first.stop()
    assert [d["state"] for _, d in outside.retained] == ["firing"]
    again = Outside()
    second = await started(SqliteAlertStore(tmp_path / "history.db"), again)
    second.status("pi-1", False)  # the retained status, read again at start-up
    clock.now += 5
    second.tick()
    await settle(second)
    assert again.retained == [] and again.events == []
    assert [a["rule"] for a in second.active_docs()] == ["quiet"]
    second.status("pi-1", True)
    await settle(second)
    resolved = [d for _, d in again.retained]
    assert [(d["state"]) for d in resolved] == ["resolved"]


async def test_stale_points_are_checked_on_the_tick(started: Any, clock: Clock) -> None:
    outside = Outside()
    alerting = await started(MemoryAlertStore(), outside)
    outside.stale[("pi-1", "temp")] = True
    alerting.tick()
    assert [(e["rule"], e["state"]) for e in outside.events] == [
        ("stuck", "pending"),
        ("stuck", "firing"),
    ]
    outside.stale[("pi-1", "temp")] = False
    alerting.tick()
    assert outside.events[-1]["state"] == "resolved"


async def test_acknowledge_is_streamed_and_stored(started: Any, clock: Clock) -> None:
    outside, store = Outside(), MemoryAlertStore()
    alerting = await started(store, outside)
    alerting.status("pi-1", False)
    acked = await alerting.acknowledge(AlertKey("quiet", "pi-1", None), "alice")
    await settle(alerting)
    assert acked.acknowledged_by == "alice" and outside.events[-1]["acknowledged_by"] == "alice"
    stored = await store.current(AlertKey("quiet", "pi-1", None))
    assert stored is not None and stored.acknowledged_by == "alice"


async def test_sighup_reload_takes_a_good_file_and_keeps_the_old_rules_for_a_bad_one(
    started: Any, clock: Clock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outside = Outside()
    alerting = await started(MemoryAlertStore(), outside)
    alerting.status("pi-1", False)
    path = tmp_path / "alerts.toml"
    path.write_text(RULES + '\n[[rules]]\nid = "oops"\ndevice = "x"\nwhen = "offline"\nfor = "-"\n')
    with caplog.at_level(logging.ERROR, "gateway.alerts"):
        assert not alerting.reload()
    assert "keeping the old rules" in caplog.text and "rule 'oops': key 'for'" in caplog.text
    assert [r.id for r in alerting.engine.rules.rules] == ["hot", "quiet", "stuck"]
    # A good file without the offline rule: its firing alert resolves (and is notified).
    path.write_text(RULES.split('[[rules]]\nid = "quiet"', maxsplit=1)[0])
    assert alerting.reload()
    await settle(alerting)
    assert [r.id for r in alerting.engine.rules.rules] == ["hot"]
    assert [d["state"] for _, d in outside.retained] == ["firing", "resolved"]
    assert alerting.stats.reloads == {"refused": 1, "ok": 1}


async def test_a_removed_device_resolves_its_firing_alert(started: Any, clock: Clock) -> None:
    outside = Outside()
    alerting = await started(MemoryAlertStore(), outside)
    alerting.status("pi-1", False)
    alerting.removed("pi-1")
    await settle(alerting)
    assert [d["state"] for _, d in outside.retained] == ["firing", "resolved"]
    assert alerting.active_docs() == []


class Unreachable:
    """A notifier whose receiver never answers (the gateway stops before it does)."""

    name = "broker"

    async def send(self, alert: Any) -> None:
        await asyncio.Event().wait()


async def test_a_transition_claimed_but_not_delivered_before_a_stop_is_sent_after_the_restart(
    started: Any, clock: Clock, tmp_path: Path
) -> None:
    first_out = Outside()
    first = await started(SqliteAlertStore(tmp_path / "history.db"), first_out)
    first.dispatcher.senders["broker"] = Unreachable()
    first.status("pi-1", False)
    await first.idle()  # claimed; its delivery hangs
    await first.stop(drain=0.1)
    assert first_out.retained == []
    again = Outside()
    second = await started(SqliteAlertStore(tmp_path / "history.db"), again)
    await settle(second)
    assert [(d["rule"], d["state"]) for _, d in again.retained] == [("quiet", "firing")]
    # Delivered now, and marked: a third start sends nothing.
    await second.stop()
    third_out = Outside()
    third = await started(SqliteAlertStore(tmp_path / "history.db"), third_out)
    await settle(third)
    assert third_out.retained == []
