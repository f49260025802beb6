"""The resume ring (``gateway/hub/ring.py``), pure: numbering, limits, what it still holds."""

from __future__ import annotations

import pytest

from gateway.hub.event import Event
from gateway.hub.ring import Ring


def event(n: int, data: str = '{"v":1}') -> Event:
    return Event("e", n, "reading", "d1", data)


def filled(ring: Ring, count: int) -> Ring:
    for n in range(ring.head + 1, ring.head + 1 + count):
        ring.append(event(n))
    return ring


def test_an_empty_ring_holds_only_the_next_event() -> None:
    ring = Ring(max_events=4, max_bytes=1 << 20)
    assert (len(ring), ring.head, ring.first) == (0, 0, 1)
    assert ring.holds(1) and not ring.holds(2) and not ring.holds(0)


def test_events_must_follow_each_other_without_holes() -> None:
    ring = filled(Ring(max_events=4, max_bytes=1 << 20), 2)
    with pytest.raises(ValueError, match="does not follow"):
        ring.append(event(4))
    assert ring.head == 2


def test_the_oldest_go_first_at_the_event_limit() -> None:
    ring = filled(Ring(max_events=4, max_bytes=1 << 20), 10)
    assert (len(ring), ring.first, ring.head) == (4, 7, 10)
    assert [e.n for e in ring.since(7, 100)] == [7, 8, 9, 10]
    assert not ring.holds(6) and ring.holds(7) and ring.holds(11)


def test_the_byte_limit_holds_and_keeps_at_least_the_newest_event() -> None:
    size = event(10).size  # the largest of the ten (ids grow with n)
    ring = filled(Ring(max_events=1000, max_bytes=3 * size), 10)
    assert ring.bytes <= 3 * size and len(ring) == 3
    big = Ring(max_events=10, max_bytes=1)
    filled(big, 2)
    assert [e.n for e in big.since(big.first, 10)] == [2]  # one event over the limit stays


def test_since_is_bounded_by_the_limit() -> None:
    ring = filled(Ring(max_events=100, max_bytes=1 << 20), 50)
    assert [e.n for e in ring.since(10, 3)] == [10, 11, 12]
    assert ring.since(51, 3) == []


def test_a_long_run_cuts_the_dead_prefix_and_stays_correct() -> None:
    ring = filled(Ring(max_events=16, max_bytes=1 << 20), 5000)
    assert len(ring._events) < 2 * 1024 + 16  # the dead prefix does not grow without bound
    assert [e.n for e in ring.since(ring.first, 100)] == list(range(4985, 5001))
