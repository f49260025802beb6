"""What the recorder keeps: readings, buckets, seq runs, audit entries. Plain data, no I/O.

Times are integers, milliseconds since the epoch (UTC), everywhere inside the recorder: they are
what the store keeps on disk (8 bytes at most, compared as integers) and what the buckets are cut
from. The wire form (``2026-11-24T06:00:00.123Z``) is made only at the HTTP edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Literal, NamedTuple

PointRole = Literal["sensor", "actuator"]
#: A recorded value: true/false for digital points, a number otherwise.
RecordedValue = bool | int | float

MINUTE_MS = 60_000
HOUR_MS = 3_600_000


class Tier(StrEnum):
    """The history's tiers, finest first (the ``step`` parameter's values, ``auto`` aside)."""

    RAW = "raw"
    MINUTE = "1m"
    HOUR = "1h"

    @property
    def width_ms(self) -> int:
        return {Tier.RAW: 0, Tier.MINUTE: MINUTE_MS, Tier.HOUR: HOUR_MS}[self]


@dataclass(frozen=True, slots=True)
class PointRef:
    """One sensor or actuator of one device, as a history query names it."""

    device: str
    role: PointRole
    point: str


@dataclass(frozen=True, slots=True)
class Reading:
    """One state message as the recorder keeps it; ``(device, seq)`` is its identity."""

    device: str
    point: str
    role: PointRole
    seq: int
    ts_ms: int
    value: RecordedValue


class RawReading(NamedTuple):
    """A reading as a history query returns it (one point: device and point are the query's).
    A tuple, because a 24-hour query at 1 reading/s makes 86,400 of them."""

    ts_ms: int
    value: RecordedValue
    seq: int


@dataclass(frozen=True, slots=True)
class DeviceReading:
    """A reading in a device export (long form)."""

    ts_ms: int
    point: str
    role: PointRole
    value: RecordedValue
    seq: int


@dataclass(frozen=True, slots=True)
class Bucket:
    """A 1-minute or 1-hour bucket of one point; ``ts_ms`` is its start. Booleans count as 0/1,
    so ``avg`` of a digital point is the share of its readings that were true."""

    ts_ms: int
    min: float
    max: float
    avg: float
    last: float
    count: int


@dataclass(frozen=True, slots=True)
class SeqRun:
    """Seqs ``lo..hi`` (inclusive) of one device are all held by the store."""

    lo: int
    hi: int

    @property
    def size(self) -> int:
        return self.hi - self.lo + 1


class MissingReason(StrEnum):
    REQUESTED = "requested"  # a replay was asked for and not answered yet
    UNAVAILABLE = "unavailable"  # the agent answered without it, or nobody will ask again


@dataclass(frozen=True, slots=True)
class MissingRange:
    from_seq: int
    to_seq: int
    reason: MissingReason


@dataclass(frozen=True, slots=True)
class Coverage:
    """What the store holds of a device's seq line (``GET /api/devices/{dev}/coverage``)."""

    device: str
    first_seq: int | None
    last_seq: int | None
    recorded: int
    missing: tuple[MissingRange, ...]


AuditStatus = str  # an ack status (ok, error, rejected, expired) or timeout / offline / refused
AuditVia = Literal["rest", "ws"]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One command through the gateway (CONTRACT.md v3, audit log)."""

    ts_ms: int
    principal: str
    device: str
    actuator: str
    value: object
    cid: str | None
    status: AuditStatus
    error: str | None
    latency_ms: float | None
    via: AuditVia


@dataclass(frozen=True, slots=True)
class WriteResult:
    stored: int  # readings new to the store
    duplicates: int  # (device, seq) held already: not stored, not counted in a bucket


@lru_cache(maxsize=64)
def _day_prefix(day: int) -> str:
    return datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%dT")


def iso_ms(at_ms: int) -> str:
    """Epoch milliseconds as the contract's ``ts`` (``2026-11-24T06:00:00.123Z``); several times
    faster than ``datetime`` for the long answers of history queries."""
    day, rest = divmod(at_ms, 86_400_000)
    seconds, millis = divmod(rest, 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{_day_prefix(day)}{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"
