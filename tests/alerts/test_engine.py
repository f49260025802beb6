"""The alert state machine, driven by a fake clock: no sockets, no sleeps."""

from __future__ import annotations

import pytest

from gateway.alerts.alert import Alert, AlertKey, Change
from gateway.alerts.engine import AlertEngine, AlertNotFiring
from gateway.alerts.rules import RuleSet, parse_rules

RULES = """
[[rules]]
id = "hot"
device = "room"
point = "temp"
when = "above"
threshold = 30
clear = 28
for = 60

[[rules]]
id = "hot-now"
device = "room"
point = "temp"
when = "above"
threshold = 30

[[rules]]
id = "quiet"
device = "*"
when = "offline"
for = 300

[[rules]]
id = "stuck"
device = "room"
point = "temp"
when = "stale"
"""

HOT = AlertKey("hot", "room", "temp")
HOT_NOW = AlertKey("hot-now", "room", "temp")


class Clock:
    """The time, moved by the test."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def engine(text: str = RULES) -> AlertEngine:
    return AlertEngine(parse_rules(text))


def notified(changes: list[Change], key: AlertKey | None = None) -> list[str]:
    return [c.alert.state for c in changes if c.notify and (key is None or c.alert.key == key)]


def states(changes: list[Change], key: AlertKey) -> list[str]:
    return [c.alert.state for c in changes if c.alert.key == key]


def test_a_value_above_fires_after_for_even_without_another_reading() -> None:
    clock, alerts = Clock(), engine()
    changes = alerts.reading("room", "temp", 31.0, clock.now, clock.now)
    assert states(changes, HOT) == ["pending"]
    assert notified(changes, HOT_NOW) == ["firing"]  # for = 0 fires at once
    assert alerts.tick(clock.advance(59.9)) == []
    fired = alerts.tick(clock.advance(0.2))
    assert notified(fired) == ["firing"]
    alert = fired[0].alert
    assert alert.seq == 1 and alert.value == 31.0 and alert.ts - alert.since == pytest.approx(60.1)
    assert alerts.tick(clock.advance(100)) == []  # fired once


def test_hysteresis_keeps_one_alert_while_the_value_wobbles_between_clear_and_threshold() -> None:
    clock, alerts = Clock(), engine()
    alerts.reading("room", "temp", 31.0, clock.now, clock.now)
    all_changes: list[Change] = []
    for step, value in enumerate([29.0, 30.5, 28.5, 29.9] * 10):
        all_changes += alerts.reading("room", "temp", value, clock.now, clock.advance(5))
        all_changes += alerts.tick(clock.now)
        del step
    assert notified(all_changes, HOT) == ["firing"]
    resolved = alerts.reading("room", "temp", 27.0, clock.now, clock.advance(5))
    assert notified(resolved, HOT) == ["resolved"]
    assert alerts.get(HOT) is not None and alerts.get(HOT).seq == 2  # type: ignore[union-attr]


def test_flapping_across_clear_never_fires_an_alert_that_needs_60_s() -> None:
    clock, alerts = Clock(), engine()
    changes: list[Change] = []
    for value in [31.0, 27.0] * 30:  # a flap every 20 s, each episode shorter than `for`
        changes += alerts.reading("room", "temp", value, clock.now, clock.advance(20))
        changes += alerts.tick(clock.now)
    assert notified(changes, HOT) == []
    assert "pending" in states(changes, HOT)
    assert alerts.get(HOT) is not None and alerts.get(HOT).seq == 0  # type: ignore[union-attr]


def test_a_device_that_reconnects_inside_for_is_never_notified() -> None:
    clock, alerts = Clock(), engine()
    key = AlertKey("quiet", "pi-7", None)
    assert states(alerts.availability("pi-7", False, clock.now), key) == ["pending"]
    assert alerts.tick(clock.advance(299)) == []
    back = alerts.availability("pi-7", True, clock.advance(0.5))
    assert states(back, key) == ["resolved"] and notified(back) == []
    assert alerts.tick(clock.advance(1000)) == []
    # Offline for good this time: fires once, 300 s after it went.
    alerts.availability("pi-7", False, clock.advance(1))
    assert alerts.tick(clock.advance(299)) == []
    assert notified(alerts.tick(clock.advance(1)), key) == ["firing"]


def test_a_wildcard_rule_covers_a_device_that_appears_later() -> None:
    clock, alerts = Clock(), engine()
    alerts.availability("new-pi", False, clock.now)
    assert [c.alert.device for c in alerts.tick(clock.advance(300))] == ["new-pi"]


def test_a_backlog_of_a_condition_already_over_fires_nothing() -> None:
    clock, alerts = Clock(), engine()
    alerts.reading("room", "temp", 25.0, clock.now - 3600, clock.now)  # the last live value
    # The device was cut off for 50 minutes; its backlog shows a hot spell that ended.
    base = clock.advance(3000) - 3000
    changes: list[Change] = []
    for minute, value in enumerate([26.0, 33.0, 34.0, 35.0, 29.0, 27.0, 25.0]):
        changes += alerts.reading("room", "temp", value, base + 60 * minute, clock.now, past=True)
    changes += alerts.tick(clock.advance(0.5))
    assert notified(changes) == []  # neither `hot` (for 60) nor `hot-now` (for 0)
    assert states(changes, HOT_NOW) == ["pending", "resolved"]
    assert alerts.active() == []


def test_a_backlog_whose_condition_still_holds_fires_at_the_next_tick() -> None:
    clock, alerts = Clock(), engine()
    base = clock.now - 600
    changes: list[Change] = []
    for minute, value in enumerate([25.0, 33.0, 34.0, 35.0]):
        changes += alerts.reading("room", "temp", value, base + 60 * minute, clock.now, past=True)
    assert notified(changes) == []  # not on the spot
    fired = alerts.tick(clock.advance(0.5))
    assert sorted(c.alert.rule for c in fired if c.notify) == ["hot", "hot-now"]
    hot = alerts.get(HOT)
    assert hot is not None and hot.since == base + 60  # began when measured, not when received


def test_a_replayed_reading_older_than_the_live_one_changes_nothing() -> None:
    clock, alerts = Clock(), engine()
    alerts.reading("room", "temp", 25.0, clock.now, clock.now)
    assert alerts.reading("room", "temp", 40.0, clock.now - 10, clock.advance(1), past=True) == []
    assert alerts.tick(clock.advance(120)) == []


def test_a_restart_with_the_stored_state_notifies_nothing_again() -> None:
    clock, first = Clock(), engine()
    first.reading("room", "temp", 31.0, clock.now, clock.now)
    first.tick(clock.advance(61))
    stored = [first.get(HOT), first.get(HOT_NOW)]
    assert all(a is not None and a.state == "firing" for a in stored)
    # The new process: state back from the store, then the retained reading arrives again.
    second = engine()
    second.restore(a for a in stored if a is not None)
    assert second.replace_rules(second.rules, clock.now) == []
    changes = second.reading("room", "temp", 31.0, clock.now - 61, clock.advance(2), past=True)
    changes += second.tick(clock.advance(0.5))
    assert notified(changes) == []
    # ... and when it cools down, resolved is notified once, numbered after the stored firing.
    cooled = second.reading("room", "temp", 20.0, clock.now, clock.advance(5))
    assert sorted((c.alert.rule, c.alert.seq) for c in cooled if c.notify) == [
        ("hot", 2),
        ("hot-now", 2),
    ]


def test_a_restart_keeps_a_pending_alerts_since() -> None:
    clock, first = Clock(), engine()
    first.availability("pi-1", False, clock.now)
    pending = first.get(AlertKey("quiet", "pi-1", None))
    assert pending is not None
    second = engine()
    second.restore([pending])
    clock.advance(200)
    assert second.availability("pi-1", False, clock.now) == []  # the retained status, again
    assert notified(second.tick(clock.advance(100))) == ["firing"]  # 300 s after it first went


def test_acknowledge_keeps_it_firing_and_a_new_episode_clears_it() -> None:
    clock, alerts = Clock(), engine()
    alerts.reading("room", "temp", 31.0, clock.now, clock.now)
    with pytest.raises(AlertNotFiring):
        alerts.acknowledge(HOT, "alice", clock.now)  # pending
    acked = alerts.acknowledge(HOT_NOW, "alice", clock.advance(1))
    assert acked.alert.state == "firing" and acked.alert.acknowledged_by == "alice"
    assert not acked.notify
    alerts.reading("room", "temp", 20.0, clock.now, clock.advance(1))
    again = alerts.reading("room", "temp", 31.0, clock.now, clock.advance(1))
    fired = [c.alert for c in again if c.notify]
    assert [(a.rule, a.acknowledged_by, a.seq) for a in fired] == [("hot-now", None, 3)]


def test_stale_rules_follow_what_the_edge_reports() -> None:
    clock, alerts = Clock(), engine()
    key = AlertKey("stuck", "room", "temp")
    assert [r.id for r in alerts.stale_rules()] == ["stuck"]
    assert notified(alerts.staleness("room", "temp", True, 21.0, clock.now)) == ["firing"]
    assert alerts.staleness("room", "temp", True, 21.0, clock.advance(1)) == []
    assert notified(alerts.staleness("room", "temp", False, 21.5, clock.advance(1)), key) == [
        "resolved"
    ]


def test_a_removed_rule_resolves_its_firing_alert_on_reload() -> None:
    clock, alerts = Clock(), engine()
    alerts.reading("room", "temp", 31.0, clock.now, clock.now)
    kept = parse_rules(RULES.split('[[rules]]\nid = "hot-now"', maxsplit=1)[0])
    changes = alerts.replace_rules(kept, clock.advance(1))
    assert [(c.alert.rule, c.alert.state, c.notify) for c in changes] == [
        ("hot-now", "resolved", True)
    ]
    assert [a.rule for a in alerts.active()] == ["hot"]  # still pending


def test_booleans_compare_as_0_and_1() -> None:
    clock = Clock()
    alerts = engine('[[rules]]\nid="door"\ndevice="d"\npoint="open"\nwhen="above"\nthreshold=0.5\n')
    assert notified(alerts.reading("d", "open", True, clock.now, clock.now)) == ["firing"]
    assert notified(alerts.reading("d", "open", False, clock.now, clock.advance(1))) == ["resolved"]


def test_new_alerts_beyond_the_bound_are_refused_and_counted() -> None:
    clock = Clock()
    alerts = AlertEngine(parse_rules(RULES), max_alerts=2)
    for n in range(4):
        alerts.availability(f"pi-{n}", False, clock.now)
    assert len(alerts) == 2 and alerts.refused == 2


def test_an_empty_rule_set_evaluates_nothing() -> None:
    alerts = AlertEngine(RuleSet())
    assert alerts.reading("a", "b", 1.0, 0.0, 0.0) == []
    assert alerts.availability("a", False, 0.0) == [] and alerts.tick(1e9) == []


def test_adopt_takes_another_replicas_state() -> None:
    clock, alerts = Clock(), engine()
    alerts.reading("room", "temp", 31.0, clock.now, clock.now)
    winner = Alert("hot", "room", "temp", "firing", "warning", 32.0, clock.now, clock.now + 60, 1)
    alerts.adopt(winner)
    assert alerts.tick(clock.advance(120)) == []  # no longer pending here
    assert alerts.get(HOT) == winner


def test_a_removed_device_resolves_its_alerts() -> None:
    clock, alerts = Clock(), engine()
    alerts.availability("pi-9", False, clock.now)
    alerts.tick(clock.advance(300))
    alerts.availability("pi-8", False, clock.now)
    changes = alerts.forget("pi-9", clock.advance(1))
    assert [(c.alert.device, c.alert.state, c.notify) for c in changes] == [
        ("pi-9", "resolved", True)
    ]
    assert [a.device for a in alerts.active()] == ["pi-8"]
