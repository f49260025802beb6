"""Publishing policies: deadband and heartbeat for sampled values, debounce for edges."""

from __future__ import annotations

from device_agent.sampling import AnalogPolicy, Debouncer


def test_first_sample_is_always_published() -> None:
    assert AnalogPolicy(deadband=5, heartbeat=60).should_publish(20.0, now=0)


def test_moves_within_the_deadband_are_held_back() -> None:
    policy = AnalogPolicy(deadband=0.5, heartbeat=60)
    policy.should_publish(20.0, 0)
    assert not policy.should_publish(20.5, 1)  # not *more* than the deadband
    assert not policy.should_publish(19.6, 2)
    assert policy.should_publish(20.6, 3)


def test_deadband_is_measured_from_the_last_published_value() -> None:
    policy = AnalogPolicy(deadband=1.0, heartbeat=60)
    policy.should_publish(0.0, 0)
    for step, value in enumerate((0.4, 0.8), start=1):  # a slow creep is not lost
        assert not policy.should_publish(value, step)
    assert policy.should_publish(1.2, 3)


def test_heartbeat_republishes_an_unchanged_value() -> None:
    policy = AnalogPolicy(deadband=1.0, heartbeat=10)
    policy.should_publish(5.0, 0)
    assert not policy.should_publish(5.0, 9.9)
    assert policy.should_publish(5.0, 10)
    assert not policy.should_publish(5.0, 15)


def test_first_edge_is_published_at_once() -> None:
    debouncer = Debouncer(window=0.05, heartbeat=300)
    decision = debouncer.edge(True, 100.0)
    assert decision.publish
    assert decision.recheck_at is None


def test_bounce_inside_the_window_is_held_and_the_final_level_kept() -> None:
    debouncer = Debouncer(window=0.05, heartbeat=300)
    debouncer.edge(True, 0.0)
    held = debouncer.edge(False, 0.01)
    assert not held.publish
    assert held.recheck_at == 0.05
    assert not debouncer.edge(True, 0.02).publish
    assert not debouncer.edge(False, 0.03).publish
    assert debouncer.settle(0.05)  # ended low: the trailing edge is published
    assert debouncer.last_level is False


def test_a_glitch_that_returns_to_the_published_level_is_not_published() -> None:
    debouncer = Debouncer(window=0.05, heartbeat=300)
    debouncer.edge(True, 0.0)
    debouncer.edge(False, 0.01)
    debouncer.edge(True, 0.02)
    assert not debouncer.settle(0.05)


def test_edges_further_apart_than_the_window_are_each_published() -> None:
    debouncer = Debouncer(window=0.05, heartbeat=300)
    assert debouncer.edge(True, 0.0).publish
    assert debouncer.edge(False, 0.2).publish
    assert debouncer.edge(True, 0.4).publish


def test_repeated_report_of_the_same_level_is_ignored() -> None:
    debouncer = Debouncer(window=0.0, heartbeat=300)
    assert debouncer.edge(True, 0.0).publish
    assert not debouncer.edge(True, 1.0).publish


def test_digital_heartbeat() -> None:
    debouncer = Debouncer(window=0.05, heartbeat=30)
    debouncer.edge(True, 0.0)
    assert not debouncer.heartbeat_due(29.0)
    assert debouncer.heartbeat_due(30.0)
    assert not debouncer.heartbeat_due(31.0)
