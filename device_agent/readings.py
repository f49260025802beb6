"""State messages as the agent builds, stores and republishes them. Pure.

A state is encoded once, when its seq is allocated; the outbox stores those exact bytes, and every
republish (reconnect, backlog, replay) sends them again unchanged, so the original seq and ts stay.
"""

from __future__ import annotations

from dataclasses import dataclass

from pigw.contract import backlog_item, encode_state_fields, format_ts


@dataclass(frozen=True, slots=True)
class StoredState:
    """One state message: which point, whether sensor or actuator, its seq and wire bytes."""

    seq: int
    point: str
    is_sensor: bool
    payload: bytes
    ts_ms: int

    def backlog_item(self) -> bytes:
        """This state as one entry of a backlog message (``sensor``/``actuator``, ``hist``)."""
        return backlog_item(self.payload, self.point, self.is_sensor)


def build_state(
    point: str,
    is_sensor: bool,
    value: bool | int | float,
    unit: str | None,
    *,
    seq: int,
    boot: str,
    now: float,
) -> StoredState:
    """Encode a new state message (``now`` is POSIX time in seconds)."""
    payload = encode_state_fields(value, unit, format_ts(now), seq, boot)
    return StoredState(seq, point, is_sensor, payload, int(now * 1000))
