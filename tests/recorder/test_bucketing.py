"""Folding readings into buckets, and merging buckets (what the stores' upserts do)."""

from __future__ import annotations

import random

from gateway.recorder.bucketing import PartialBucket, bucket_start, fold
from gateway.recorder.records import HOUR_MS, MINUTE_MS


def test_readings_fold_into_their_minute_and_hour() -> None:
    triples = [("p", 0, 1.0), ("p", 59_999, 3.0), ("p", 60_000, 10.0), ("q", 5, True)]
    minutes = fold(triples, MINUTE_MS)
    assert set(minutes) == {("p", 0), ("p", 60_000), ("q", 0)}
    first = minutes[("p", 0)].finish(0)
    assert (first.min, first.max, first.avg, first.last, first.count) == (1, 3, 2, 3, 2)
    assert minutes[("q", 0)].finish(0).avg == 1.0  # true counts as 1
    hours = fold(triples, HOUR_MS)
    assert hours[("p", 0)].count == 3


def test_merging_in_any_order_gives_the_same_bucket() -> None:
    rng = random.Random(7)
    triples = [("p", rng.randrange(MINUTE_MS), rng.uniform(-5, 5)) for _ in range(200)]
    whole = fold(triples, MINUTE_MS)[("p", 0)]
    rng.shuffle(triples)
    parts = [fold(triples[i : i + 17], MINUTE_MS)[("p", 0)] for i in range(0, 200, 17)]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    assert (merged.min, merged.max, merged.count, merged.last) == (
        whole.min, whole.max, whole.count, whole.last,
    )  # fmt: skip
    assert abs(merged.total - whole.total) < 1e-9


def test_last_is_the_latest_by_ts_not_by_arrival() -> None:
    late_arrival_but_older = PartialBucket(1, 1, 1, 1, 1, last_ts=10)
    newer = PartialBucket(2, 2, 2, 1, 2, last_ts=20)
    assert newer.merge(late_arrival_but_older).last == 2
    assert late_arrival_but_older.merge(newer).last == 2


def test_buckets_start_on_utc_boundaries() -> None:
    assert bucket_start(HOUR_MS + 61_234, MINUTE_MS) == HOUR_MS + MINUTE_MS
    assert bucket_start(HOUR_MS + 61_234, HOUR_MS) == HOUR_MS
