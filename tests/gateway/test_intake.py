"""From MQTT messages to registry state and hub events (pure: no broker, no sockets)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from gateway.core.commands import Commands
from gateway.core.intake import Intake
from gateway.core.rejections import Rejections
from gateway.hub import Hub
from gateway.state import GapTracker, Registry
from pigw.contract import ONLINE, Topics, encode_model
from tests.gateway.support import backlog, meta, state

T = Topics()


class Clock:
    def __init__(self) -> None:
        self.now = 1_795_000_100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def intake(clock: Clock) -> Intake:
    registry = Registry(history_size=5)
    hub = Hub(epoch="e", snapshot_source=lambda d: registry.snapshot_json(clock(), d))

    async def publish(topic: str, payload: bytes) -> bool:
        raise AssertionError("no publishing in these tests")

    return Intake(
        topics=T,
        registry=registry,
        gaps=GapTracker(),
        hub=hub,
        commands=Commands(registry, T, publish),
        rejections=Rejections(logging.getLogger("test"), burst=3, interval=60, clock=clock),
        clock=clock,
        monotonic=clock,
    )


def events(intake: Intake) -> list[tuple[str, dict[str, Any]]]:
    ring = intake.hub.ring
    return [(e.type, json.loads(e.data_json)) for e in ring.since(ring.first, 10_000)]


def doc(intake: Intake, device: str = "d1") -> dict[str, Any]:
    state_ = intake.registry.get(device)
    assert state_ is not None
    return intake.registry.device_doc(state_, intake._clock())


def test_meta_status_and_a_reading_become_events_and_state(intake: Intake) -> None:
    intake.handle(T.meta("d1"), encode_model(meta("d1")), True)
    intake.handle(T.status("d1"), ONLINE, True)
    intake.handle(T.state("d1", "t"), state(7, 20.5), True)
    assert [name for name, _ in events(intake)] == ["meta", "status", "reading"]
    _, reading = events(intake)[2]
    assert reading == {
        "device": "d1", "sensor": "t", "value": 20.5, "unit": "°C",
        "ts": "2026-11-18T11:06:47.000Z", "seq": 7, "boot": "b1", "hist": False,
    }  # fmt: skip
    device = doc(intake)
    assert device["online"] is True
    assert device["sensors"]["t"]["value"] == 20.5
    assert device["sensors"]["door"] == {
        "value": None, "unit": None, "ts": None, "seq": None, "stale": False,
    }  # fmt: skip
    assert device["actuators"]["relay1"]["value"] is None


def test_an_actuator_state_is_an_actuator_event(intake: Intake) -> None:
    intake.handle(T.meta("d1"), encode_model(meta("d1")), True)
    intake.handle(T.state("d1", "relay1"), state(3, True, unit=None), False)
    name, data = events(intake)[-1]
    assert name == "actuator" and data["actuator"] == "relay1" and data["value"] is True
    assert doc(intake)["actuators"]["relay1"]["value"] is True


def test_a_repeated_seq_is_dropped_and_counted(intake: Intake) -> None:
    intake.handle(T.state("d1", "t"), state(7), False)
    intake.handle(T.state("d1", "t"), state(7), False)
    assert len(events(intake)) == 1
    assert intake.stats.duplicates == 1


def test_a_backlog_reading_never_overwrites_a_newer_current_value(intake: Intake) -> None:
    intake.handle(T.state("d1", "t"), state(1, 1.0), False)
    intake.handle(T.state("d1", "t"), state(5, 5.0), False)
    intake.handle(T.backlog("d1"), backlog("t", [2, 3, 4]), False)
    assert doc(intake)["sensors"]["t"]["value"] == 5.0
    hist = [data for name, data in events(intake) if data.get("hist")]
    assert [data["seq"] for data in hist] == [2, 3, 4]
    history = intake.registry.history("d1", "t")
    assert history is not None
    assert [r.seq for r in history.query()] == [1, 2, 3, 4, 5]
    assert intake.gaps.missing("d1") == []


def test_a_replayed_backlog_is_deduplicated(intake: Intake) -> None:
    intake.handle(T.state("d1", "t"), state(1), False)
    intake.handle(T.state("d1", "t"), state(4), False)
    intake.handle(T.backlog("d1"), backlog("t", [2, 3]), False)
    before = len(events(intake))
    intake.handle(T.backlog("d1"), backlog("t", [2, 3]), False)
    assert len(events(intake)) == before
    assert intake.stats.duplicates == 2


def test_history_is_bounded_and_ordered_by_seq(intake: Intake) -> None:
    for seq in range(10, 20):
        intake.handle(T.state("d1", "t"), state(seq, float(seq)), False)
    history = intake.registry.history("d1", "t")
    assert history is not None
    assert [r.seq for r in history.query()] == [15, 16, 17, 18, 19]
    assert [r.seq for r in history.query(limit=2)] == [18, 19]
    assert [r.seq for r in history.query(since="2026-11-18T11:06:58.000Z")] == [18, 19]


def test_staleness_follows_the_declared_interval(intake: Intake, clock: Clock) -> None:
    intake.handle(T.meta("d1"), encode_model(meta("d1")), True)  # interval 5 s
    intake.handle(T.state("d1", "t"), state(1), False)
    assert doc(intake)["sensors"]["t"]["stale"] is False
    clock.now += 12.4
    assert doc(intake)["sensors"]["t"]["stale"] is False
    clock.now += 0.2
    assert doc(intake)["sensors"]["t"]["stale"] is True


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        (T.state("d1", "t"), b"not json", "bad_json"),
        (
            T.state("d1", "t"),
            b'{"value": 1, "ts": "2026-11-24T06:00:00.000Z", "seq": 1.5, "boot": "b"}',
            "bad_seq",
        ),
        (T.state("d1", "t"), b"x" * 5000, "oversize"),
        ("pigw/BAD/t/state", b"{}", "bad_id"),
        ("pigw/d1/t/nonsense", b"{}", "bad_topic"),
        (T.status("d1"), b"maybe", "bad_payload"),
        (T.meta("d1"), encode_model(meta("d2")), "id_mismatch"),
        (T.backlog("d1"), b"[{}]", "bad_payload"),
        (T.ack("d1", "relay1"), b"{}", "bad_payload"),
    ],
)
def test_malformed_messages_are_counted_by_reason_and_never_forwarded(
    intake: Intake, topic: str, payload: bytes, reason: str
) -> None:
    intake.handle(topic, payload, False)
    assert intake.rejections.counts == {reason: 1}
    assert events(intake) == []


def test_a_flood_of_rejections_is_logged_a_few_times_but_counted_exactly(
    intake: Intake, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="test"):
        for _ in range(1000):
            intake.handle(T.state("d1", "t"), b"junk", False)
    assert intake.rejections.counts == {"bad_json": 1000}
    assert 1 <= len(caplog.records) <= 3
    assert all(getattr(r, "topic", None) == "pigw/d1/t/state" for r in caplog.records)


def test_clearing_the_retained_meta_removes_the_device(intake: Intake) -> None:
    intake.handle(T.meta("d1"), encode_model(meta("d1")), True)
    intake.handle(T.state("d1", "t"), state(9), True)
    intake.handle(T.meta("d1"), b"", True)
    assert intake.registry.get("d1") is None
    assert events(intake)[-1] == ("meta", {"device": "d1", "meta": None, "removed": True})
    # The rest of the clean-up (empty state payloads) does not bring it back.
    intake.handle(T.state("d1", "t"), b"", True)
    assert intake.registry.get("d1") is None
    assert intake.rejections.counts == {}


def test_clearing_the_retained_status_removes_the_device_too(intake: Intake) -> None:
    intake.handle(T.status("d1"), ONLINE, True)
    intake.handle(T.status("d1"), b"", True)
    assert intake.registry.get("d1") is None


def test_an_unchanged_retained_value_after_a_resubscription_is_not_an_event(intake: Intake) -> None:
    intake.handle(T.state("d1", "t"), state(3), True)
    intake.handle(T.state("d1", "t"), state(3), True)
    assert len(events(intake)) == 1


def test_retained_values_of_several_sensors_open_no_gap(intake: Intake) -> None:
    intake.handle(T.meta("d1"), encode_model(meta("d1")), True)
    intake.handle(T.state("d1", "t"), state(40), True)
    intake.handle(T.state("d1", "door"), state(12, False, unit=None), True)
    intake.handle(T.state("d1", "relay1"), state(33, True, unit=None), True)
    assert intake.gaps.missing("d1") == []
    assert doc(intake)["sensors"]["door"]["value"] is False
    intake.handle(T.state("d1", "t"), state(44), False)
    assert intake.gaps.missing("d1") == [(41, 43)]


def test_invented_ids_are_bounded(intake: Intake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gateway.state.registry.MAX_DEVICES", 3)
    monkeypatch.setattr("gateway.state.registry.MAX_POINTS", 2)
    for i in range(5):
        intake.handle(T.state(f"dev{i}", "t"), state(1), False)
    for point in ("a", "b", "c"):
        intake.handle(T.state("dev0", point), state(2 + ord(point)), False)
    assert sorted(intake.registry.devices) == ["dev0", "dev1", "dev2"]
    assert sorted(intake.registry.devices["dev0"].points) == ["a", "t"]
    assert intake.rejections.counts == {"too_many_devices": 2, "too_many_points": 2}


def test_last_seen_is_the_devices_last_message_not_its_last_will(
    intake: Intake, clock: Clock
) -> None:
    # Issue 15: a hung Pi's Last Will arrives ~45 s after its last reading; `last_seen` must not
    # jump to the broker's time and hide the silence.
    intake.handle(T.meta("d1"), encode_model(meta("d1")), True)
    intake.handle(T.status("d1"), b"online", False)
    intake.handle(T.state("d1", "t"), state(7, 20.5), False)
    spoke = doc(intake)["last_seen"]
    clock.now += 47
    intake.handle(T.status("d1"), b"offline", False)
    device = doc(intake)
    assert device["online"] is False
    assert device["last_seen"] == spoke
    clock.now += 5
    intake.handle(T.status("d1"), b"online", False)  # a birth is the device's own word
    assert doc(intake)["last_seen"] != spoke


def test_undeclared_points_of_a_device_with_meta_are_refused_and_counted(intake: Intake) -> None:
    # Issue 17 (5): a device could grow any number of points its meta never declared.
    intake.handle(T.state("d1", "early"), state(1), False)  # before the meta: taken
    intake.handle(T.meta("d1"), encode_model(meta("d1")), True)
    assert "early" not in intake.registry.devices["d1"].points  # and dropped once the meta says
    assert intake.registry.history("d1", "early") is None
    intake.handle(T.state("d1", "invented"), state(2), False)
    intake.handle(T.backlog("d1"), backlog("invented", [3]), False)
    intake.handle(T.state("d1", "t"), state(4), False)  # a declared one still is
    assert intake.rejections.counts == {"undeclared_point": 2}
    assert set(intake.registry.devices["d1"].points) == {"t"}
    assert [data.get("sensor") for name, data in events(intake) if name == "reading"] == [
        "early",
        "t",
    ]


def test_a_backlog_with_one_undeclared_entry_keeps_the_declared_ones(intake: Intake) -> None:
    intake.handle(T.meta("d1"), encode_model(meta("d1")), True)
    mixed = json.loads(backlog("t", [1, 3]))
    mixed[1:1] = json.loads(backlog("invented", [2]))
    intake.handle(T.backlog("d1"), json.dumps(mixed).encode(), False)
    history = intake.registry.history("d1", "t")
    assert history is not None and [r.seq for r in history.query()] == [1, 3]
    assert intake.rejections.counts == {"undeclared_point": 1}
