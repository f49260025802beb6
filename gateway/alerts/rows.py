"""An :class:`~gateway.alerts.alert.Alert` as a row of the ``alert_*`` tables, for both SQL adapters.

Columns: ``rule, device, point, state, severity, value, since_ms, ts_ms, seq, acknowledged_by``.
``point`` is ``''`` for device rules (a primary key column cannot be NULL); ``value`` is JSON text
(a number, ``true``/``false`` or ``null``); times are integer milliseconds since the epoch.
"""

from __future__ import annotations

import json
from typing import Any, Final, cast

from gateway.alerts.alert import Alert, AlertKey, AlertState
from gateway.alerts.rules import Severity
from pigw.contract import Value

COLUMNS: Final = (
    "rule",
    "device",
    "point",
    "state",
    "severity",
    "value",
    "since_ms",
    "ts_ms",
    "seq",
    "acknowledged_by",
)

Row = tuple[str, str, str, str, str, str, int, int, int, str | None]


def to_row(alert: Alert) -> Row:
    return (
        alert.rule,
        alert.device,
        alert.point or "",
        alert.state,
        alert.severity,
        json.dumps(alert.value),
        round(alert.since * 1000),
        round(alert.ts * 1000),
        alert.seq,
        alert.acknowledged_by,
    )


def key_row(key: AlertKey) -> tuple[str, str, str]:
    return (key.rule, key.device, key.point or "")


def from_row(row: Any) -> Alert:
    """An alert from a row (a tuple, an ``sqlite3.Row`` or an ``asyncpg.Record``, in
    :data:`COLUMNS` order)."""
    rule, device, point, state, severity, value, since_ms, ts_ms, seq, acknowledged_by = tuple(row)
    return Alert(
        rule=rule,
        device=device,
        point=point or None,
        state=cast(AlertState, state),
        severity=cast(Severity, severity),
        value=cast(Value | None, json.loads(value)),
        since=since_ms / 1000,
        ts=ts_ms / 1000,
        seq=int(seq),
        acknowledged_by=acknowledged_by,
    )
