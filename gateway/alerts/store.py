"""Where alerts survive a restart, and how a transition is delivered exactly once.

The interface is owned here; the adapters implement it: :class:`MemoryAlertStore` (``--history-url
none``), :mod:`gateway.alerts.sqlite_store` and :mod:`gateway.alerts.postgres_store` — in the same
database as the recorder's history (``--history-url``), in tables of their own (``alert_*``, never
``history_*``). All three pass ``tests/alerts/test_store.py``.

Exactly once (docs/alerts.md, "Delivery"):

- Every notified transition (to ``firing``, and ``firing`` → ``resolved``) has a number: the
  alert's ``seq``, which goes up by one per notified transition over the key's whole life and is
  stored with the alert, so a restarted gateway continues the count.
- :meth:`AlertStore.claim` inserts the transition into ``alert_transitions`` whose primary key is
  ``(rule, device, point, seq)`` — ``INSERT … ON CONFLICT DO NOTHING`` — and only the caller whose
  insert took the row delivers it. Two replicas sharing one PostgreSQL evaluate the same messages
  and reach the same transition with the same number: one insert wins, the other replica adopts the
  stored state and stays silent. A restarted gateway that reaches a transition it had already
  recorded (it crashed after the insert) finds the row taken and does not notify again.
- Replicas with separate stores (each its own SQLite file) each claim in their own table, so each
  notifies: that is the contract.
- A claimed transition is marked :meth:`AlertStore.delivered` once every notifier has ended (sent
  or given up). One that is not — the gateway stopped or crashed in between — is re-sent by the
  same gateway (same ``--gateway-id``) when it starts again, within ``--alert-retry-s``: delivery
  is at least once across that crash (a receiver may see it twice if the crash came after its
  answer and before the mark), exactly once otherwise.
- :meth:`AlertStore.save` keeps the current state of an alert that is not delivered (pending, a
  pending alert that ended, an acknowledgement). It never overwrites a row with a higher ``seq``,
  so a replica that lags behind cannot turn another's ``firing`` back into ``pending``.
"""

from __future__ import annotations

from collections import deque
from typing import Final, Protocol

from gateway.alerts.alert import Alert, AlertKey

#: Transitions kept for ``GET /api/alerts`` "recent" by the in-memory store (the SQL stores keep
#: every transition: one row per firing/resolved, bounded by how often rules fire).
MEMORY_TRANSITIONS: Final = 1000


class AlertStoreUnavailable(Exception):
    """The store cannot do this now (disk, lock, server gone). The caller counts it; alerts keep
    working from memory, and a transition that could not be claimed is not delivered blind."""


class AlertStore(Protocol):
    """Alert states and their delivered transitions."""

    description: str  # for logs: the URL without a password

    async def open(self) -> None:
        """Connect and create the ``alert_*`` tables if missing."""

    async def close(self) -> None: ...

    async def load(self) -> list[Alert]:
        """Every stored alert (active and last resolved: the latter keep their ``seq``)."""

    async def save(self, alert: Alert) -> None:
        """Keep ``alert`` as its key's state unless the stored one has a higher ``seq``."""

    async def claim(self, alert: Alert, gateway_id: str) -> bool:
        """Record the notified transition ``alert`` (numbered ``alert.seq``); True when this call
        recorded it (the caller delivers), False when it was recorded before (by another replica
        or before a restart). The state row follows in the same transaction."""

    async def delivered(self, alert: Alert) -> None:
        """Every notifier of the claimed transition ``alert`` has ended (sent or given up)."""

    async def undelivered(self, gateway_id: str, since: float) -> list[Alert]:
        """Transitions ``gateway_id`` claimed at or after ``since`` whose delivery never ended
        (the gateway stopped or crashed first), oldest first: re-sent at start-up."""

    async def current(self, key: AlertKey) -> Alert | None:
        """The stored state of ``key`` (what a replica that lost a claim adopts)."""

    async def recent(self, limit: int) -> list[Alert]:
        """Delivered transitions, newest first."""


class MemoryAlertStore:
    """``--history-url none``: alerts live as long as the process; ``recent`` is a bounded ring
    (:data:`MEMORY_TRANSITIONS`, oldest dropped)."""

    description = "memory"

    def __init__(self, max_transitions: int = MEMORY_TRANSITIONS) -> None:
        self._states: dict[AlertKey, Alert] = {}
        self._claimed: set[tuple[AlertKey, int]] = set()
        self._undelivered: dict[tuple[AlertKey, int], tuple[str, Alert]] = {}
        self._recent: deque[Alert] = deque(maxlen=max_transitions)

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def load(self) -> list[Alert]:
        return list(self._states.values())

    async def save(self, alert: Alert) -> None:
        held = self._states.get(alert.key)
        if held is None or alert.seq >= held.seq:
            self._states[alert.key] = alert

    async def claim(self, alert: Alert, gateway_id: str) -> bool:
        mark = (alert.key, alert.seq)
        if mark in self._claimed:
            return False
        if len(self._claimed) >= 64 * MEMORY_TRANSITIONS:  # bounded: drop the oldest marks
            self._claimed = {(a.key, a.seq) for a in self._recent}
        self._claimed.add(mark)
        self._recent.append(alert)
        if len(self._undelivered) < MEMORY_TRANSITIONS:
            self._undelivered[mark] = (gateway_id, alert)
        await self.save(alert)
        return True

    async def delivered(self, alert: Alert) -> None:
        self._undelivered.pop((alert.key, alert.seq), None)

    async def undelivered(self, gateway_id: str, since: float) -> list[Alert]:
        found = [a for g, a in self._undelivered.values() if g == gateway_id and a.ts >= since]
        return sorted(found, key=lambda a: (a.ts, a.seq))

    async def current(self, key: AlertKey) -> Alert | None:
        return self._states.get(key)

    async def recent(self, limit: int) -> list[Alert]:
        return list(reversed(self._recent))[:limit]
