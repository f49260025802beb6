"""One alert: a (rule, device, point) and where it is in ``pending`` → ``firing`` → ``resolved``.

Pure data. :meth:`Alert.doc` is the JSON every consumer sees — the webhook body, the retained MQTT
payload, the ``alert`` stream event and the entries of ``GET /api/alerts`` (CONTRACT.md v3):
``{"rule", "device", "point", "state", "severity", "value", "since", "ts", "acknowledged_by"}``.

- ``since`` is when the condition began (the first reading past the threshold, the moment the
  device went offline or its point stale); it stays the same through pending, firing and resolved,
  so ``ts - since`` is how long the condition had held.
- ``ts`` is when the alert entered its current state (the transition's time).
- ``seq`` counts the alert's *notified* transitions (to ``firing``, and ``firing`` → ``resolved``)
  over the key's whole life, across episodes. It is the delivery key: see :mod:`gateway.alerts.store`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple

from gateway.alerts.rules import Severity
from pigw.contract import Value, format_ts

AlertState = Literal["pending", "firing", "resolved"]
ACTIVE_STATES: frozenset[str] = frozenset({"pending", "firing"})


class AlertKey(NamedTuple):
    """What makes an alert one: ``point`` is ``None`` for device rules (``offline``)."""

    rule: str
    device: str
    point: str | None

    def label(self) -> str:
        return "/".join(part for part in self if part is not None)


@dataclass(frozen=True, slots=True)
class Alert:
    rule: str
    device: str
    point: str | None
    state: AlertState
    severity: Severity
    value: Value | None
    since: float
    ts: float
    seq: int = 0
    acknowledged_by: str | None = None

    @property
    def key(self) -> AlertKey:
        return AlertKey(self.rule, self.device, self.point)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    def moved(self, state: AlertState, ts: float, **changes: Any) -> Alert:
        """This alert in ``state`` from ``ts`` on."""
        return replace(self, state=state, ts=ts, **changes)

    def doc(self) -> dict[str, Any]:
        """The contract's JSON for this alert."""
        return {
            "rule": self.rule,
            "device": self.device,
            "point": self.point,
            "state": self.state,
            "severity": self.severity,
            "value": self.value,
            "since": format_ts(self.since),
            "ts": format_ts(self.ts),
            "acknowledged_by": self.acknowledged_by,
        }

    def payload(self) -> bytes:
        """:meth:`doc` as compact UTF-8 JSON: the retained MQTT payload."""
        return json.dumps(self.doc(), separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class Change:
    """What the engine decided: ``alert`` is the new state; ``notify`` is True for the transitions
    that are delivered (to ``firing``, and ``firing`` → ``resolved``), each with a new ``seq``."""

    alert: Alert
    notify: bool
