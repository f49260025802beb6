"""Which commands may have waited in the broker's session while the agent was away. Pure.

The agent keeps a persistent session (MQTT 5 ``clean_start=False`` with a session expiry, or a 3.1.1
``clean_session=False``) so that a short outage loses no command. The price: a plain ``ON`` that
Home Assistant sent while the Pi was powered off overnight is queued by the broker and delivered
when the agent comes back, up to a session expiry (a day) late (issue 17, item 8). MQTT carries no
send time, so the agent bounds the age instead:

* the broker sends a resumed session's queued messages right after CONNACK, before it has read
  the agent's SUBSCRIBE, so **a command that arrives between a CONNACK with ``session present``
  and the SUBACK of the agent's subscriptions came from the backlog**; any other did not;
* such a command waited at most since the agent went offline: the time since the last disconnect
  of this process, and an unknown time (``inf``) on the first connect after a start.

:func:`device_agent.commanding.decide` refuses a command without ``exp`` whose bound passes
``--command-max-age`` (``expired``). A command with ``exp`` (the gateway's) is judged by its
``exp``; one with an MQTT 5 message expiry interval was kept no longer than its sender allowed, so
it counts as fresh. Runs on the agent's loop.
"""

from __future__ import annotations

import math


class SessionBacklog:
    """Tracks the connection so :meth:`age_bound` can say how long an arriving command may have
    been queued. Times are the loop's monotonic seconds."""

    def __init__(self) -> None:
        self._offline_since: float | None = None  # None: not connected yet in this process
        self._draining = False

    def connected(self, session_present: bool) -> None:
        """CONNACK: with a resumed session, what arrives until :meth:`subscribed` is its backlog."""
        self._draining = session_present

    def subscribed(self) -> None:
        """The SUBACK of the agent's subscriptions: the broker has sent the whole backlog."""
        self._draining = False

    def disconnected(self, now: float) -> None:
        self._offline_since = now
        self._draining = False

    def age_bound(self, now: float) -> float | None:
        """The longest an arriving message may have waited in the session (``inf``: unknown), or
        ``None`` when it cannot come from the session's backlog."""
        if not self._draining:
            return None
        if self._offline_since is None:
            return math.inf
        return max(0.0, now - self._offline_since)
