"""Alert evaluation: one state machine per (rule, device, point). Pure: no I/O, no clock of its own.

The edge (:mod:`gateway.alerts.service`) calls :meth:`AlertEngine.reading`, :meth:`availability`
and :meth:`staleness` as messages arrive, and :meth:`tick` on the gateway's housekeeping tick, each
with the time ``now``; every call returns the :class:`~gateway.alerts.alert.Change` list to store,
stream and (``notify``) deliver. Tests drive it with a fake clock.

The machine (issue 16, CONTRACT.md v3 "Alerts")::

    (none) --condition holds--> pending --held for `for` s--> firing --condition over--> resolved
               pending --condition over--> resolved (never notified: it never fired)
               firing --acknowledge--> firing (acknowledged_by set)

Decisions, each a line of ``docs/alerts.md``:

- *Hysteresis.* For ``above`` the condition begins when a value is above ``threshold`` and lasts
  until a value is at or below ``clear`` (mirrored for ``below``), for pending alerts as well as for
  firing ones: a value wobbling between the two lines is one alert, not a storm.
- *Timed by the clock.* ``for`` counts from ``since``; the tick fires a pending alert whose
  condition has held long enough although no reading follows.
- *The past does not fire.* Readings that describe the past (``past=True``: a backlog or replay,
  ``hist: true``, or a retained value read at start-up) are evaluated in measurement order and
  skipped when older than what was already evaluated for the point. They may begin a condition
  (``since`` = their measurement time, clamped to now) or end one, but they never fire it on the
  spot: only the tick does, after the whole batch was taken in. So a backlog that shows a condition
  that began and ended while the gateway was away notifies nothing, and one whose last entry is
  still past the threshold fires at the next tick if it has held ``for`` since it began.
- *Restart.* :meth:`restore` takes the stored alerts back; a condition that still holds finds its
  alert pending or firing already and changes nothing, so nothing is notified again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from gateway.alerts.alert import Alert, AlertKey, AlertState, Change
from gateway.alerts.rules import Rule, RuleSet
from pigw.contract import Value

#: Alerts held at most (active and resolved, which keep their ``seq``): new keys beyond it are
#: refused and counted (``refused``); keys are never evicted, since a reused key must keep its seq.
MAX_ALERTS: Final = 50_000


class AlertNotFound(LookupError):
    """No alert with that (rule, device, point)."""


class AlertNotFiring(ValueError):
    """Only a firing alert can be acknowledged."""


class AlertEngine:
    """Every alert of one gateway, evaluated against one :class:`RuleSet`."""

    def __init__(self, rules: RuleSet | None = None, *, max_alerts: int = MAX_ALERTS) -> None:
        self._rules = RuleSet()
        self._by_id: dict[str, Rule] = {}
        self._matching: dict[tuple[str, str | None], tuple[Rule, ...]] = {}
        self._alerts: dict[AlertKey, Alert] = {}
        self._pending: set[AlertKey] = set()
        #: Newest measurement time evaluated per (device, point): older past readings are skipped.
        self._latest: dict[tuple[str, str], float] = {}
        self._max_alerts = max_alerts
        #: New alerts refused at ``max_alerts`` (a metric).
        self.refused = 0
        self._install(rules or RuleSet())

    # --- rules and stored state ---------------------------------------------------------------
    @property
    def rules(self) -> RuleSet:
        return self._rules

    def watches(self, device: str, point: str | None) -> bool:
        """Does any rule look at ``device``/``point``? (A cached lookup: the edge asks it before
        it converts anything, so a reading no rule cares about costs one dict lookup.)"""
        return bool(self._rules_for(device, point))

    def stale_rules(self) -> tuple[Rule, ...]:
        """The ``stale`` rules: the edge checks their points' freshness on every tick."""
        return tuple(rule for rule in self._rules.rules if rule.when == "stale")

    def replace_rules(self, rules: RuleSet, now: float) -> list[Change]:
        """Take a reloaded file. Alerts keep their state; an active alert whose rule is gone (or
        now means another condition or point) resolves — notified if it was firing."""
        changes: list[Change] = []
        old = self._by_id
        self._install(rules)
        for alert in list(self._alerts.values()):
            if not alert.active:
                continue
            rule = self._by_id.get(alert.rule)
            before = old.get(alert.rule)
            if (
                rule is None
                or not rule.matches(alert.device, alert.point)
                or (before is not None and before.when != rule.when)
            ):
                changes.append(self._resolve(alert, now, alert.value))
        return changes

    def restore(self, alerts: Iterable[Alert]) -> None:
        """Take back the stored alerts (start-up). Alerts of rules no longer in the file resolve
        at the next :meth:`replace_rules`; the caller runs it once after restoring."""
        for alert in alerts:
            self.adopt(alert)

    def adopt(self, alert: Alert) -> None:
        """Hold ``alert`` as the state of its key (a stored state, e.g. after another replica
        recorded the transition first)."""
        key = alert.key
        self._alerts[key] = alert
        if alert.state == "pending":
            self._pending.add(key)
        else:
            self._pending.discard(key)

    # --- views --------------------------------------------------------------------------------
    def get(self, key: AlertKey) -> Alert | None:
        return self._alerts.get(key)

    def active(self) -> list[Alert]:
        """Alerts now pending or firing, oldest condition first."""
        return sorted(
            (alert for alert in self._alerts.values() if alert.active),
            key=lambda alert: (alert.since, alert.key.label()),
        )

    def __len__(self) -> int:
        return len(self._alerts)

    # --- inputs -------------------------------------------------------------------------------
    def reading(
        self,
        device: str,
        point: str,
        value: Value,
        measured_at: float,
        now: float,
        *,
        past: bool = False,
    ) -> list[Change]:
        """A state message for ``device``/``point``: ``measured_at`` is its ``ts``; ``past`` for a
        backlog, replayed or retained one (see the module docstring)."""
        rules = self._rules_for(device, point)
        if not rules:
            return []
        latest_key = (device, point)
        latest = self._latest.get(latest_key)
        if past and latest is not None and measured_at <= latest:
            return []  # older than what was evaluated: it describes a past already judged
        if latest is None or measured_at > latest:
            self._latest[latest_key] = measured_at
        at = min(measured_at, now) if past else now
        number = float(value)
        changes: list[Change] = []
        for rule in rules:
            if rule.when not in ("above", "below"):
                continue
            key = AlertKey(rule.id, device, point)
            alert = self._alerts.get(key)
            active = alert is not None and alert.active
            holds = _holds(rule, number, active)
            changes.extend(
                self._observe(
                    rule, key, holds=holds, value=value, at=at, now=now, fire_now=not past
                )
            )
        return changes

    def availability(self, device: str, online: bool, now: float) -> list[Change]:
        """``device`` went (or is, for a retained status) online or offline."""
        changes: list[Change] = []
        for rule in self._rules_for(device, None):
            if rule.when == "offline":
                key = AlertKey(rule.id, device, None)
                changes.extend(
                    self._observe(
                        rule, key, holds=not online, value=None, at=now, now=now, fire_now=True
                    )
                )
        return changes

    def staleness(
        self, device: str, point: str, stale: bool, value: Value | None, now: float
    ) -> list[Change]:
        """Whether ``device``/``point`` is stale now (the registry's rule: 2.5 declared periods)."""
        changes: list[Change] = []
        for rule in self._rules_for(device, point):
            if rule.when == "stale":
                key = AlertKey(rule.id, device, point)
                changes.extend(
                    self._observe(
                        rule, key, holds=stale, value=value, at=now, now=now, fire_now=True
                    )
                )
        return changes

    def forget(self, device: str, now: float) -> list[Change]:
        """``device`` was removed (decommissioned): its active alerts resolve — notified if they
        were firing, so the retained topic and the receivers hear that it is over."""
        for latest_key in [k for k in self._latest if k[0] == device]:
            del self._latest[latest_key]
        return [
            self._resolve(alert, now, None)
            for alert in list(self._alerts.values())
            if alert.device == device and alert.active
        ]

    def tick(self, now: float) -> list[Change]:
        """Fire every pending alert whose condition has held for its rule's ``for``."""
        changes: list[Change] = []
        for key in sorted(self._pending, key=AlertKey.label):
            alert = self._alerts[key]
            rule = self._by_id.get(key.rule)
            if rule is not None and now - alert.since >= rule.for_s:
                changes.append(self._fire(alert, rule, now))
        return changes

    def acknowledge(self, key: AlertKey, by: str, now: float) -> Change:
        """Mark a firing alert acknowledged by ``by``; it stays firing (not notified)."""
        alert = self._alerts.get(key)
        if alert is None:
            raise AlertNotFound(key.label())
        if alert.state != "firing":
            raise AlertNotFiring(f"{key.label()} is {alert.state}, not firing")
        acknowledged = alert.moved("firing", alert.ts, acknowledged_by=by)
        self._alerts[key] = acknowledged
        return Change(acknowledged, notify=False)

    # --- the machine --------------------------------------------------------------------------
    def _observe(
        self,
        rule: Rule,
        key: AlertKey,
        *,
        holds: bool,
        value: Value | None,
        at: float,
        now: float,
        fire_now: bool,
    ) -> list[Change]:
        alert = self._alerts.get(key)
        active = alert is not None and alert.active
        if not holds:
            if alert is not None and active:
                return [self._resolve(alert, max(at, alert.since), value)]
            return []
        if alert is None or not active:
            if alert is None and len(self._alerts) >= self._max_alerts:
                self.refused += 1
                return []
            seq = 0 if alert is None else alert.seq
            alert = Alert(
                key.rule, key.device, key.point, "pending", rule.severity, value, at, at, seq
            )
            self._alerts[key] = alert
            self._pending.add(key)
            changes = [Change(alert, notify=False)]
            if fire_now and now - alert.since >= rule.for_s:
                changes.append(self._fire(alert, rule, now))
            return changes
        if alert.value != value and alert.state == "pending":
            alert = alert.moved("pending", alert.ts, value=value)
            self._alerts[key] = alert
        if alert.state == "pending" and fire_now and now - alert.since >= rule.for_s:
            return [self._fire(alert, rule, now, value)]
        return []

    def _fire(self, alert: Alert, rule: Rule, now: float, value: Value | None = None) -> Change:
        fired = alert.moved(
            "firing",
            now,
            severity=rule.severity,
            value=alert.value if value is None else value,
            seq=alert.seq + 1,
            acknowledged_by=None,
        )
        self._alerts[fired.key] = fired
        self._pending.discard(fired.key)
        return Change(fired, notify=True)

    def _resolve(self, alert: Alert, at: float, value: Value | None) -> Change:
        was_firing = alert.state == "firing"
        state: AlertState = "resolved"
        resolved = alert.moved(
            state, at, value=value, seq=alert.seq + 1 if was_firing else alert.seq
        )
        self._alerts[resolved.key] = resolved
        self._pending.discard(resolved.key)
        return Change(resolved, notify=was_firing)

    # --- rule lookup --------------------------------------------------------------------------
    def _install(self, rules: RuleSet) -> None:
        self._rules = rules
        self._by_id = {rule.id: rule for rule in rules.rules}
        self._matching.clear()

    def _rules_for(self, device: str, point: str | None) -> tuple[Rule, ...]:
        key = (device, point)
        found = self._matching.get(key)
        if found is None:
            found = tuple(rule for rule in self._rules.rules if rule.matches(device, point))
            if len(self._matching) < 4 * self._max_alerts:  # bounded like the alerts
                self._matching[key] = found
        return found


def _holds(rule: Rule, value: float, active: bool) -> bool:
    """The Schmitt trigger of a value rule: past ``threshold`` to begin, past ``clear`` to end."""
    assert rule.threshold is not None and rule.clear is not None
    if rule.when == "above":
        return value > rule.clear if active else value > rule.threshold
    return value < rule.clear if active else value < rule.threshold
