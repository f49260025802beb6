"""Per-sensor availability after repeated read failures."""

from __future__ import annotations

from device_agent.availability import Availability


def test_goes_offline_after_the_limit_and_back_on_the_first_good_read() -> None:
    availability = Availability(limit=3)
    assert availability.failure() is None
    assert availability.failure() is None
    assert availability.failure() is False
    assert availability.failure() is None  # already offline: no repeated change
    assert availability.success() is True
    assert availability.success() is None
    assert availability.total_failures == 4


def test_a_good_read_resets_the_count() -> None:
    availability = Availability(limit=2)
    availability.failure()
    availability.success()
    assert availability.failure() is None
    assert availability.online
