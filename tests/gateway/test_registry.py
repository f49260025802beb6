"""The device registry (``gateway/state/registry.py``), pure: what it holds and the views it gives."""

from __future__ import annotations

import json

import pytest

from gateway.state import Registry
from gateway.state.registry import MAX_POINTS
from pigw.contract import ContractError, StateMessage, format_ts
from tests.gateway.support import meta

NOW = 1_795_000_100.0


def message(seq: int, value: float | bool = 21.5, unit: str | None = "°C") -> StateMessage:
    return StateMessage(
        value=value, unit=unit, ts=format_ts(1_795_000_000 + seq), seq=seq, boot="b1"
    )


def test_a_newer_seq_becomes_the_value_an_older_one_only_history() -> None:
    registry = Registry(history_size=10)
    assert registry.apply("d1", "t", message(5, 20.0), NOW, live=True, role="sensor")
    assert not registry.apply("d1", "t", message(3, 18.0), NOW, live=False, role="sensor")
    point = registry.devices["d1"].points["t"]
    assert (point.seq, point.value) == (5, 20.0)
    history = registry.history("d1", "t")
    assert history is not None and [r.seq for r in history.query()] == [3, 5]


def test_actuators_keep_no_history() -> None:
    registry = Registry()
    registry.apply("d1", "relay1", message(1, True, None), NOW, live=True, role="actuator")
    assert registry.history("d1", "relay1") is None


def test_the_role_comes_from_the_meta_when_not_given() -> None:
    registry = Registry()
    registry.set_meta("d1", meta("d1"))
    state = registry.devices["d1"]
    assert (state.role("t"), state.role("relay1")) == ("sensor", "actuator")


def test_meta_and_availability_report_whether_they_changed() -> None:
    registry = Registry()
    assert registry.set_meta("d1", meta("d1")) and not registry.set_meta("d1", meta("d1"))
    assert registry.set_online("d1", True) and not registry.set_online("d1", True)
    assert registry.remove("d1") and not registry.remove("d1")


def test_a_device_cannot_grow_points_without_bound() -> None:
    registry = Registry()
    for i in range(MAX_POINTS):
        registry.apply("d1", f"p{i}", message(1), NOW, live=True, role="sensor")
    with pytest.raises(ContractError):
        registry.apply("d1", "one-more", message(1), NOW, live=True, role="sensor")


def test_a_counter_that_started_over_makes_the_next_reading_newer() -> None:
    registry = Registry()
    registry.apply("d1", "t", message(50), NOW, live=True, role="sensor")
    registry.forget_seqs("d1")
    assert registry.apply("d1", "t", message(1, 9.0), NOW, live=True, role="sensor")


def test_the_snapshot_is_the_device_list_and_honours_the_filter() -> None:
    registry = Registry()
    for device in ("d1", "d2"):
        registry.set_meta(device, meta(device))
        registry.set_online(device, True)
        registry.apply(device, "t", message(1), NOW, live=True, role="sensor")
    everything = json.loads(registry.snapshot_json(NOW))
    assert [d["id"] for d in everything["devices"]] == ["d1", "d2"]
    only = json.loads(registry.snapshot_json(NOW, frozenset({"d2"})))
    (device,) = only["devices"]
    assert device["id"] == "d2" and device["online"] is True
    assert device["sensors"]["t"]["value"] == 21.5 and device["sensors"]["t"]["seq"] == 1
