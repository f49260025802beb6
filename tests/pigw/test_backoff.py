"""Reconnect delays (pigw/backoff.py, the gateway's and the agent's): exponential, capped, jittered."""

from __future__ import annotations

import random

from pigw.backoff import Backoff


def test_delays_double_up_to_the_cap_within_their_jitter_range() -> None:
    backoff = Backoff(minimum=1.0, maximum=8.0, rng=random.Random(1))
    for base in (1, 2, 4, 8, 8, 8):
        delay = backoff.next_delay()
        assert base / 2 <= delay <= base


def test_jitter_spreads_clients_that_failed_together() -> None:
    delays = {Backoff(1.0, 30.0, random.Random(seed)).next_delay() for seed in range(20)}
    assert len(delays) == 20


def test_reset_starts_again_from_the_minimum() -> None:
    backoff = Backoff(minimum=1.0, maximum=60.0, rng=random.Random(2))
    for _ in range(5):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_a_long_run_of_failures_stays_at_the_cap() -> None:
    backoff = Backoff(minimum=0.5, maximum=30.0, rng=random.Random(3))
    delays = [backoff.next_delay() for _ in range(200)]
    assert max(delays) <= 30.0 and min(delays[10:]) >= 15.0
