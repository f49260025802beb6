"""State messages as the agent builds, stores and republishes them. Pure.

A state is encoded once, when its seq is allocated; the outbox stores those exact bytes, and every
republish (reconnect, backlog, replay) sends them again unchanged, so the original seq and ts stay.
"""

from __future__ import annotations

from dataclasses import dataclass

from pigw.contract import BacklogEntry, StateMessage, decode_state, encode_state, format_ts


@dataclass(frozen=True, slots=True)
class StoredState:
    """One state message: which point, whether sensor or actuator, its seq and wire bytes."""

    seq: int
    point: str
    is_sensor: bool
    payload: bytes
    ts_ms: int

    def backlog_entry(self) -> BacklogEntry:
        state = decode_state(self.payload)
        point = {"sensor": self.point} if self.is_sensor else {"actuator": self.point}
        return BacklogEntry(**state.model_dump(), **point)


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
    message = StateMessage(value=value, unit=unit, ts=format_ts(now), seq=seq, boot=boot)
    return StoredState(seq, point, is_sensor, encode_state(message), int(now * 1000))
