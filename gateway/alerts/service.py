"""The alerts' edge: feeds the pure engine, publishes its changes, stores them, delivers them.

Owned by the runtime (created in the lifespan, :meth:`Alerting.start` / :meth:`Alerting.stop`).
How tasks run:

- The intake calls :meth:`reading` and :meth:`status` synchronously for every accepted message;
  the housekeeping tick calls :meth:`tick`. These evaluate (pure, microseconds), publish each change
  on the hub as an ``alert`` event at once (the live stream never waits for a database) and put the
  change on a bounded queue (:data:`MAX_QUEUED`; beyond it a change is dropped, counted and
  logged — it is still on the stream and in memory, only its storing and delivery are lost).
- One worker task takes the queue in order: a notified change is *claimed* in the store (exactly
  once, :mod:`gateway.alerts.store`) and, if this gateway's claim won, handed to the
  :class:`~gateway.alerts.delivery.Dispatcher`, which returns at once; a claim another replica won
  makes this gateway adopt the stored state. Other changes are saved.
- A store that fails is counted (``store_errors``) and logged; a transition that could not be
  claimed is still delivered (a duplicate is better than an alert nobody hears).
- SIGHUP re-reads the alerts file; a file that no longer checks keeps the old rules (logged).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Literal

from gateway.alerts.alert import Alert, AlertKey, Change
from gateway.alerts.delivery import Dispatcher, Sender
from gateway.alerts.engine import AlertEngine
from gateway.alerts.mqtt_notify import MqttSender, RetainedPublish
from gateway.alerts.rules import AlertsFileError, MqttNotifier, RuleSet, load_rules
from gateway.alerts.store import AlertStore, AlertStoreUnavailable, MemoryAlertStore
from gateway.alerts.webhook import WebhookClient, WebhookSender
from pigw.contract import Topics, Value

logger = logging.getLogger("gateway.alerts")

#: Changes waiting for the store and the dispatcher at most.
MAX_QUEUED: Final = 10_000
#: Transitions ``GET /api/alerts`` lists under ``recent``.
RECENT: Final = 100

#: ``(event name, device, data)``: the hub's publish.
PublishEvent = Callable[[Literal["alert"], str | None, dict[str, Any]], object]
#: ``(device, point, now)`` → ``(stale, value)`` of that point, ``None`` when it is unknown.
PointFreshness = Callable[[str, str, float], tuple[bool, Value | None] | None]


@dataclass(slots=True)
class AlertingStats:
    store_errors: int = 0
    dropped_changes: int = 0
    claims_lost: int = 0  # transitions another replica (or an earlier run) had recorded
    reloads: dict[str, int] = field(default_factory=dict)  # by result: ok / refused


class Alerting:
    def __init__(
        self,
        *,
        rules_path: Path | None,
        store: AlertStore,
        topics: Topics,
        gateway_id: str,
        publish_event: PublishEvent,
        publish_retained: RetainedPublish,
        devices: Callable[[], Iterable[str]],
        freshness: PointFreshness,
        retry_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.rules_path = rules_path
        self.store = store
        self.topics = topics
        self.gateway_id = gateway_id
        self.stats = AlertingStats()
        self._publish_event = publish_event
        self._publish_retained = publish_retained
        self._devices = devices
        self._freshness = freshness
        self._clock = clock
        rules = load_rules(rules_path) if rules_path is not None else RuleSet()
        self.engine = AlertEngine(rules)
        self._http = WebhookClient()
        self.dispatcher = Dispatcher(self._senders(rules), retry_s=retry_s)
        self._queue: asyncio.Queue[tuple[Change, tuple[str, ...]]] = asyncio.Queue(MAX_QUEUED)
        self._worker: asyncio.Task[None] | None = None
        self._marking: set[asyncio.Task[None]] = set()
        self._signals = False

    # --- life -------------------------------------------------------------------------------
    async def start(self) -> None:
        """Open the store, take back its alerts, start the worker and listen for SIGHUP."""
        failure: AlertStoreUnavailable | None = None
        try:
            await self.store.open()
            self.engine.restore(await self.store.load())
        except AlertStoreUnavailable as exc:
            failure = exc
        if failure is not None:
            self.stats.store_errors += 1
            logger.error("alert store unavailable, alerts kept in memory only: %s", failure)
            self.store = MemoryAlertStore()
        self._emit(self.engine.replace_rules(self.engine.rules, self._clock()))
        self._worker = asyncio.create_task(self._work(), name="pigw-alerts")
        await self._resend_undelivered()
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            # Only the main thread's loop may take signals (tests run apps in other threads).
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.reload)
            self._signals = True
        logger.info(
            "alerts ready",
            extra={
                "rules": len(self.engine.rules.rules),
                "store": self.store.description,
                "alerts": len(self.engine),
            },
        )

    async def stop(self, drain: float = 2.0) -> None:
        """Store what is queued (for at most ``drain`` s), then cancel and close everything."""
        if self._signals:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            self._signals = False
        if self._worker is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(drain):
                    await self._queue.join()
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        await self.dispatcher.close(grace=drain)
        if self._marking:
            await asyncio.wait(list(self._marking), timeout=drain)
        await self._http.aclose()
        with contextlib.suppress(AlertStoreUnavailable):
            await self.store.close()

    def reload(self) -> bool:
        """Re-read the alerts file (SIGHUP). A bad file keeps the old rules; True when taken."""
        if self.rules_path is None:
            return False
        try:
            rules = load_rules(self.rules_path)
        except AlertsFileError as exc:
            rules, problem = None, str(exc)
        if rules is None:
            self.stats.reloads["refused"] = self.stats.reloads.get("refused", 0) + 1
            logger.error("alerts file not re-read, keeping the old rules: %s", problem)
            return False
        self.stats.reloads["ok"] = self.stats.reloads.get("ok", 0) + 1
        old = self.engine.rules
        self.dispatcher.replace_senders({**self._senders(old), **self._senders(rules)})
        # What the reload resolves (alerts of removed rules) goes to the old rules' notifiers.
        self._emit(self.engine.replace_rules(rules, self._clock()), old)
        logger.info("alerts file re-read", extra={"rules": len(rules.rules)})
        return True

    # --- inputs (synchronous: the intake and the tick) ----------------------------------------
    def reading(self, device: str, point: str, value: Value, ts: str, *, past: bool) -> None:
        """An accepted state message (``past``: backlog, replay or retained)."""
        if not self.engine.watches(device, point):
            return
        now = self._clock()
        self._emit(self.engine.reading(device, point, value, _seconds(ts, now), now, past=past))

    def status(self, device: str, online: bool) -> None:
        self._emit(self.engine.availability(device, online, self._clock()))

    def removed(self, device: str) -> None:
        self._emit(self.engine.forget(device, self._clock()))

    def tick(self) -> None:
        """Fire what has held long enough; check the points of ``stale`` rules."""
        now = self._clock()
        for rule in self.engine.stale_rules():
            assert rule.point is not None
            devices = self._devices() if rule.device == "*" else (rule.device,)
            for device in devices:
                fresh = self._freshness(device, rule.point, now)
                if fresh is not None:
                    self._emit(self.engine.staleness(device, rule.point, fresh[0], fresh[1], now))
        self._emit(self.engine.tick(now))

    async def acknowledge(self, key: AlertKey, by: str) -> Alert:
        """Acknowledge a firing alert (``AlertNotFound`` / ``AlertNotFiring`` otherwise)."""
        change = self.engine.acknowledge(key, by, self._clock())
        self._emit([change])
        return change.alert

    # --- views --------------------------------------------------------------------------------
    def active_docs(self, devices: frozenset[str] | None = None) -> list[dict[str, Any]]:
        """Pending and firing alerts (of ``devices``, or all): the snapshot's ``alerts`` and
        ``GET /api/alerts`` ``active``."""
        return [
            alert.doc()
            for alert in self.engine.active()
            if devices is None or alert.device in devices
        ]

    async def recent_docs(self, limit: int = RECENT) -> list[dict[str, Any]]:
        """Delivered transitions, newest first (from the store)."""
        try:
            return [alert.doc() for alert in await self.store.recent(limit)]
        except AlertStoreUnavailable as exc:
            self.stats.store_errors += 1
            logger.warning("alert store unavailable for recent alerts: %s", exc)
            return []

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    async def idle(self) -> None:
        """Wait until every queued change was stored (tests)."""
        await self._queue.join()

    # --- inside -------------------------------------------------------------------------------
    def _senders(self, rules: RuleSet) -> dict[str, Sender]:
        senders: dict[str, Sender] = {}
        for name, notifier in rules.notifiers.items():
            if isinstance(notifier, MqttNotifier):
                senders[name] = MqttSender(notifier, self.topics, self._publish_retained)
            else:
                senders[name] = WebhookSender(notifier, self._http)
        return senders

    def _emit(self, changes: list[Change], rules: RuleSet | None = None) -> None:
        for change in changes:
            self._publish_event("alert", change.alert.device, change.alert.doc())
            if self._queue.full():
                self.stats.dropped_changes += 1
                logger.error(
                    "alert change not stored: %d changes are waiting for the store",
                    self._queue.qsize(),
                    extra={"alert": change.alert.key.label(), "state": change.alert.state},
                )
                continue
            # The notifiers are those of the rule as it is now: a reload before the worker gets
            # to it (one that removes the rule, say) must not swallow the notification.
            rule = (rules or self.engine.rules).rule(change.alert.rule) if change.notify else None
            self._queue.put_nowait((change, () if rule is None else rule.notify))

    async def _work(self) -> None:
        while True:
            change, notify = await self._queue.get()
            try:
                await self._settle(change, notify)
            finally:
                self._queue.task_done()

    async def _settle(self, change: Change, notify: tuple[str, ...]) -> None:
        alert = change.alert
        if not change.notify:
            try:
                await self.store.save(alert)
            except AlertStoreUnavailable as exc:
                self._store_failed(exc, alert)
            return
        try:
            won = await self.store.claim(alert, self.gateway_id)
        except AlertStoreUnavailable as exc:
            self._store_failed(exc, alert)
            won = True  # deliver: a duplicate beats silence
        if won:
            self.dispatcher.deliver(alert, notify, functools.partial(self._delivered, alert))
            return
        self.stats.claims_lost += 1
        try:
            stored = await self.store.current(alert.key)
        except AlertStoreUnavailable as exc:
            self._store_failed(exc, alert)
            return
        held = self.engine.get(alert.key)
        if stored is not None and held is not None and stored.seq >= held.seq and stored != held:
            # The winner's times and value replace ours; our stream hears of it only when the
            # state itself differs (the same transition seen twice is noise to a dashboard).
            self.engine.adopt(stored)
            if (stored.state, stored.acknowledged_by) != (held.state, held.acknowledged_by):
                self._publish_event("alert", stored.device, stored.doc())

    async def _resend_undelivered(self) -> None:
        """Transitions this gateway claimed but whose delivery never ended (a stop or crash in
        between): delivered now, within ``--alert-retry-s`` of when they happened."""
        try:
            missed = await self.store.undelivered(
                self.gateway_id, self._clock() - self.dispatcher.retry_s
            )
        except AlertStoreUnavailable as exc:
            self.stats.store_errors += 1
            logger.warning("alert store unavailable, undelivered alerts not re-sent: %s", exc)
            return
        if missed:
            logger.warning(
                "re-sending %d alert notification(s) not delivered before the last stop",
                len(missed),
            )
        for alert in missed:
            rule = self.engine.rules.rule(alert.rule)
            notify = rule.notify if rule is not None else ()
            self.dispatcher.deliver(alert, notify, functools.partial(self._delivered, alert))

    def _delivered(self, alert: Alert) -> None:
        task = asyncio.create_task(self._mark_delivered(alert), name="pigw-alert-delivered")
        self._marking.add(task)
        task.add_done_callback(self._marking.discard)

    async def _mark_delivered(self, alert: Alert) -> None:
        try:
            await self.store.delivered(alert)
        except AlertStoreUnavailable as exc:
            self._store_failed(exc, alert)

    def _store_failed(self, exc: AlertStoreUnavailable, alert: Alert) -> None:
        self.stats.store_errors += 1
        logger.warning("alert store unavailable: %s", exc, extra={"alert": alert.key.label()})


def _seconds(ts: str, default: float) -> float:
    try:
        return datetime.fromisoformat(ts).timestamp()
    except ValueError:
        return default
