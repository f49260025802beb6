"""The retention plan: raw and minute by age, then oldest first past the size limit."""

from __future__ import annotations

from gateway.recorder.records import HOUR_MS, Tier
from gateway.recorder.retention import Deletion, plan_retention
from gateway.recorder.store import RetentionLimits

DAY = 24 * HOUR_MS
LIMITS = RetentionLimits(raw_ms=10 * DAY, minute_ms=90 * DAY, max_bytes=1000)
NOW = 400 * DAY


def test_nothing_old_nothing_big_nothing_to_do() -> None:
    oldest = {Tier.RAW: NOW - DAY, Tier.MINUTE: NOW - DAY, Tier.HOUR: NOW - DAY}
    assert plan_retention(LIMITS, NOW, 10, oldest) == []


def test_old_raw_and_minutes_go_by_age_hours_stay() -> None:
    oldest = {Tier.RAW: NOW - 20 * DAY, Tier.MINUTE: NOW - 100 * DAY, Tier.HOUR: 0}
    assert plan_retention(LIMITS, NOW, 10, oldest) == [
        Deletion(Tier.RAW, NOW - 10 * DAY), Deletion(Tier.MINUTE, NOW - 90 * DAY),
    ]  # fmt: skip


def test_over_the_size_limit_the_oldest_raw_goes_first_then_minutes_then_hours() -> None:
    oldest: dict[Tier, int | None] = {Tier.RAW: NOW - DAY, Tier.MINUTE: NOW - DAY, Tier.HOUR: 5}
    assert plan_retention(LIMITS, NOW, 2000, oldest) == [Deletion(Tier.RAW, NOW - DAY + HOUR_MS)]
    oldest[Tier.RAW] = None
    assert plan_retention(LIMITS, NOW, 2000, oldest) == [Deletion(Tier.MINUTE, NOW - DAY + HOUR_MS)]
    oldest[Tier.MINUTE] = None
    assert plan_retention(LIMITS, NOW, 2000, oldest) == [Deletion(Tier.HOUR, 5 + HOUR_MS)]
