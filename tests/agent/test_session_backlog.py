"""Which commands may have waited in the broker's session: the bound the expiry rule uses."""

from __future__ import annotations

import math

from device_agent.session_backlog import SessionBacklog


def test_first_resumed_session_of_a_process_has_an_unknown_age() -> None:
    backlog = SessionBacklog()
    backlog.connected(session_present=True)
    assert backlog.age_bound(100.0) == math.inf


def test_nothing_is_backlog_without_a_session_or_after_the_suback() -> None:
    backlog = SessionBacklog()
    backlog.connected(session_present=False)
    assert backlog.age_bound(1.0) is None
    backlog.connected(session_present=True)
    backlog.subscribed()
    assert backlog.age_bound(2.0) is None


def test_after_a_reconnect_the_age_is_bounded_by_the_outage() -> None:
    backlog = SessionBacklog()
    backlog.connected(session_present=False)
    backlog.subscribed()
    backlog.disconnected(now=50.0)
    assert backlog.age_bound(55.0) is None  # offline: nothing arrives, and nothing is backlog
    backlog.connected(session_present=True)
    assert backlog.age_bound(62.5) == 12.5
    backlog.subscribed()
    assert backlog.age_bound(63.0) is None
