"""Extra devices for the browser tests, published straight to the broker as an agent would (its
retained meta and status, then state messages): cheaper than an agent process per device, and
their readings can carry any ``ts`` (a gap, an hour ago)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from pigw.contract import DeviceMeta, StateMessage, Topics, encode_model, encode_state, format_ts
from tests.support.mqtt import Recorder

TOPICS = Topics()
BOOT = "fixture"


def device_meta(device: str, name: str, *, interval: float | None = None) -> DeviceMeta:
    """One analog sensor ``level`` (``interval`` s, no deadband: a silence longer than 2.5 x
    interval is a gap; ``None``: no interval, never quiet) and one relay."""
    sensor: dict[str, object] = {"kind": "adc", "unit": "%", "name": "Level"}
    if interval is not None:
        sensor["interval"] = interval
    return DeviceMeta.model_validate(
        {
            "id": device,
            "name": name,
            "model": "fixture board",
            "sw": "0.1.0",
            "boot": BOOT,
            "sensors": {"level": sensor},
            "actuators": {"relay1": {"kind": "relay"}},
        }
    )


def announce(
    mqtt: Recorder, device: str, name: str, *, online: bool = True, interval: float | None = None
) -> None:
    mqtt.publish(
        TOPICS.meta(device), encode_model(device_meta(device, name, interval=interval)), retain=True
    )
    mqtt.publish(TOPICS.status(device), b"online" if online else b"offline", retain=True)


def publish_levels(
    mqtt: Recorder, device: str, at: Sequence[float], *, first_seq: int = 1
) -> list[tuple[int, str, float]]:
    """Readings of ``level`` at the POSIX times ``at`` (seq counting up from ``first_seq``);
    returns what was sent as ``(seq, ts, value)``."""
    sent = []
    for offset, moment in enumerate(at):
        seq = first_seq + offset
        value = float(10 + seq % 7)
        ts = format_ts(moment)
        message = StateMessage(value=value, unit="%", ts=ts, seq=seq, boot=BOOT)
        mqtt.publish(TOPICS.state(device, "level"), encode_state(message))
        sent.append((seq, ts, value))
    return sent


def now() -> float:
    return time.time()
