"""Rollups: 1-minute and 1-hour buckets of min/max/avg/last/count, kept as readings arrive.

A batch of new readings is first folded here into one partial bucket per (point, bucket start);
the store then merges each partial into the bucket it holds (an upsert: ``min`` of mins, ``max``
of maxes, sums and counts added, ``last`` from whichever side has the later ``ts``). Merging is
associative and commutative, so readings may arrive in any order (backlog, replay) and the result
is the same; the store passes only readings new to it, so a duplicate never counts twice.

Booleans count as 0/1 (CONTRACT.md v3): ``avg`` of a digital point is the share that was true.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from gateway.recorder.records import Bucket, RecordedValue

K = TypeVar("K", bound=Hashable)


def as_number(value: RecordedValue) -> float:
    """A value as a bucket counts it: true 1, false 0, numbers as they are."""
    return float(value)


def bucket_start(ts_ms: int, width_ms: int) -> int:
    """The start of the bucket of ``width_ms`` that holds ``ts_ms`` (UTC-aligned)."""
    return ts_ms - ts_ms % width_ms


@dataclass(slots=True)
class PartialBucket:
    """A bucket being built: ``total`` and ``count`` give ``avg``; ``last_ts`` decides ``last``."""

    min: float
    max: float
    total: float
    count: int
    last: float
    last_ts: int

    def add(self, ts_ms: int, number: float) -> None:
        self.min = min(self.min, number)
        self.max = max(self.max, number)
        self.total += number
        self.count += 1
        if ts_ms >= self.last_ts:
            self.last = number
            self.last_ts = ts_ms

    def merge(self, other: PartialBucket) -> PartialBucket:
        """Both buckets' readings in one (what the store's upsert does in SQL)."""
        later = other if other.last_ts >= self.last_ts else self
        return PartialBucket(
            min=min(self.min, other.min),
            max=max(self.max, other.max),
            total=self.total + other.total,
            count=self.count + other.count,
            last=later.last,
            last_ts=later.last_ts,
        )

    def finish(self, start_ms: int) -> Bucket:
        return Bucket(start_ms, self.min, self.max, self.total / self.count, self.last, self.count)


def fold(
    readings: Iterable[tuple[K, int, RecordedValue]], width_ms: int
) -> dict[tuple[K, int], PartialBucket]:
    """One partial bucket per (key, bucket start) from ``(key, ts_ms, value)`` triples."""
    buckets: dict[tuple[K, int], PartialBucket] = {}
    get = buckets.get
    for key, ts_ms, value in readings:
        number = float(value)
        slot = (key, ts_ms - ts_ms % width_ms)
        bucket = get(slot)
        if bucket is None:
            buckets[slot] = PartialBucket(number, number, number, 1, number, ts_ms)
            continue
        # PartialBucket.add inlined: this loop is most of the store's CPU per reading.
        if number < bucket.min:
            bucket.min = number
        elif number > bucket.max:
            bucket.max = number
        bucket.total += number
        bucket.count += 1
        if ts_ms >= bucket.last_ts:
            bucket.last = number
            bucket.last_ts = ts_ms
    return buckets


def coarsen(
    buckets: dict[tuple[K, int], PartialBucket], width_ms: int
) -> dict[tuple[K, int], PartialBucket]:
    """Finer partial buckets merged into buckets of ``width_ms`` (minutes into hours)."""
    wider: dict[tuple[K, int], PartialBucket] = {}
    for (key, start), bucket in buckets.items():
        slot = (key, start - start % width_ms)
        held = wider.get(slot)
        wider[slot] = bucket if held is None else held.merge(bucket)
    return wider
