"""The event stream's vocabulary (pigw/contract/events.py): consistent in itself."""

from __future__ import annotations

from pigw.contract import events


def test_device_events_are_live_and_live_events_are_stream_events() -> None:
    assert events.DEVICE_EVENTS < events.LIVE_EVENTS < set(events.EVENT_NAMES)
    assert set(events.EVENT_NAMES) - events.LIVE_EVENTS == {"snapshot", "reset"}  # per stream


def test_every_event_has_its_data_and_device_events_name_their_device() -> None:
    assert set(events.EVENT_DATA) == set(events.EVENT_NAMES)
    for name in events.DEVICE_EVENTS:
        required, _ = events.data_fields(name)
        assert "device" in required, name


def test_optional_fields_are_told_apart_from_required_ones() -> None:
    assert events.data_fields("ack") == (
        frozenset({"device", "actuator", "cid", "status", "value"}),
        frozenset({"error"}),
    )
    assert events.data_fields("meta")[1] == frozenset({"removed"})
