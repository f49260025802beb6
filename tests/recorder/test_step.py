"""step=auto picks the finest tier that answers in max_points."""

from __future__ import annotations

from gateway.recorder.records import HOUR_MS, Tier
from gateway.recorder.step import auto_tier

NOW = 1_000 * 24 * HOUR_MS
DAY = 24 * HOUR_MS


def pick(window_ms: int, raw: int, max_points: int = 2000) -> Tier:
    return auto_tier(start_ms=NOW - window_ms, end_ms=NOW, max_points=max_points,
                     raw_estimate=raw, now_ms=NOW, raw_keep_ms=10 * DAY,
                     minute_keep_ms=90 * DAY)  # fmt: skip


def test_sparse_windows_are_raw() -> None:
    assert pick(DAY, raw=1440) is Tier.RAW


def test_a_busy_day_is_minutes_when_they_fit_else_hours() -> None:
    assert pick(DAY, raw=86_400, max_points=2000) is Tier.MINUTE
    assert pick(DAY, raw=86_400, max_points=1000) is Tier.HOUR


def test_thirty_days_at_one_per_second_are_hours() -> None:
    assert pick(30 * DAY, raw=2_592_000) is Tier.HOUR


def test_raw_is_not_picked_where_retention_dropped_it() -> None:
    assert pick(20 * DAY, raw=100) is Tier.HOUR  # older than 10 days: raw is incomplete
