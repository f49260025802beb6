"""Delivery of notified transitions to the notifiers: bounded, retried, counted, never in the way.

:meth:`Dispatcher.deliver` returns at once (it is called from the alerts worker, never from the
intake); each (transition, notifier) becomes one task that tries, and on failure waits with
exponential backoff (1 s, 2 s, 4 s … at most 60 s, with jitter) and tries again until
``--alert-retry-s`` after the transition, then gives up (counted ``failed``, logged).

- *Bounded.* At most ``max_pending`` deliveries are under way; one more is refused and counted
  ``dropped`` (logged): a dead receiver with a storm of alerts cannot grow memory.
- *One receiver cannot stall another.* Each notifier has its own concurrency limit
  (``per_notifier``), and every attempt has the notifier's own timeout (a hanging webhook costs
  its own slots only).
- *In order per alert.* The deliveries of one alert to one notifier run one after the other (a
  ``resolved`` never overtakes its ``firing``, which matters most for the retained MQTT topic).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from gateway.alerts.alert import Alert, AlertKey

logger = logging.getLogger("gateway.alerts")

MAX_PENDING: Final = 1000
PER_NOTIFIER: Final = 4
BACKOFF_FIRST: Final = 1.0
BACKOFF_MAX: Final = 60.0


class DeliveryFailed(Exception):
    """One attempt did not reach the receiver (refused, timed out, non-2xx): worth a retry."""


class Sender(Protocol):
    """One notifier's edge: a webhook or the MQTT topic."""

    name: str

    async def send(self, alert: Alert) -> None:
        """Deliver ``alert``'s JSON once; :class:`DeliveryFailed` when it did not arrive."""


@dataclass(slots=True)
class DeliveryStats:
    """Per notifier name: delivered, attempts retried, given up, refused at the bound."""

    sent: dict[str, int] = field(default_factory=dict)
    retried: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def bump(counts: dict[str, int], name: str) -> None:
        counts[name] = counts.get(name, 0) + 1


class Dispatcher:
    def __init__(
        self,
        senders: dict[str, Sender],
        *,
        retry_s: float,
        max_pending: int = MAX_PENDING,
        per_notifier: int = PER_NOTIFIER,
        backoff_first: float = BACKOFF_FIRST,
        backoff_max: float = BACKOFF_MAX,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.senders = senders
        self.retry_s = retry_s
        self.max_pending = max_pending
        self.stats = DeliveryStats()
        self._slots = {name: asyncio.Semaphore(per_notifier) for name in senders}
        self._backoff = (backoff_first, backoff_max)
        self._clock = clock
        self._sleep = sleep
        self._tasks: set[asyncio.Task[None]] = set()
        self._last: dict[tuple[str, AlertKey], asyncio.Task[None]] = {}
        self._attempting: set[asyncio.Task[Any]] = set()

    @property
    def pending(self) -> int:
        """Deliveries under way (waiting, trying or backing off)."""
        return len(self._tasks)

    def replace_senders(self, senders: dict[str, Sender]) -> None:
        """New notifiers after a reload; deliveries under way finish with the old ones."""
        self.senders = senders
        for name in senders:
            self._slots.setdefault(name, asyncio.Semaphore(PER_NOTIFIER))

    def deliver(
        self, alert: Alert, notify: tuple[str, ...], done: Callable[[], None] | None = None
    ) -> None:
        """Start delivering ``alert`` to each notifier named in ``notify``; returns at once.
        ``done`` is called once every one of them has ended (sent, or given up after
        ``retry_s``), never when a delivery was cancelled by shutdown."""
        started: list[asyncio.Task[None]] = []
        for name in notify:
            sender = self.senders.get(name)
            if sender is None:
                continue  # removed by a reload since the rule was read
            if len(self._tasks) >= self.max_pending:
                DeliveryStats.bump(self.stats.dropped, name)
                logger.warning(
                    "alert delivery refused: %d deliveries are under way already",
                    len(self._tasks),
                    extra={"notifier": name, "alert": alert.key.label(), "state": alert.state},
                )
                continue
            chain = (name, alert.key)
            before = self._last.get(chain)
            task = asyncio.create_task(
                self._deliver(sender, alert, before), name=f"pigw-alert-{name}"
            )
            self._tasks.add(task)
            self._last[chain] = task
            task.add_done_callback(functools.partial(self._finished, chain))
            started.append(task)
        if done is None:
            return
        if not started:
            done()
            return
        remaining = [len(started)]

        def one_ended(task: asyncio.Task[None]) -> None:
            if task.cancelled():
                return  # shutdown: the transition stays undelivered, re-sent after a restart
            remaining[0] -= 1
            if remaining[0] == 0:
                done()

        for task in started:
            task.add_done_callback(one_ended)

    async def close(self, grace: float = 0.0) -> None:
        """Shutdown: give attempts in flight up to ``grace`` seconds to finish (so a POST the
        receiver has answered counts as delivered), then cancel and await every delivery."""
        attempting = [task for task in self._attempting if not task.done()]
        if grace > 0 and attempting:
            await asyncio.wait(attempting, timeout=grace)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def idle(self) -> None:
        """Wait until no delivery is under way (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _finished(self, chain: tuple[str, AlertKey], task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._last.get(chain) is task:
            del self._last[chain]

    async def _deliver(
        self, sender: Sender, alert: Alert, before: asyncio.Task[None] | None
    ) -> None:
        deadline = self._clock() + self.retry_s
        if before is not None:
            # Order per alert and notifier; the earlier delivery's outcome is its own business.
            with contextlib.suppress(Exception):
                await asyncio.shield(before)
        first, most = self._backoff
        attempt = 0
        while True:
            current = asyncio.current_task()
            try:
                async with self._slots[sender.name]:
                    if current is not None:
                        self._attempting.add(current)
                    try:
                        await sender.send(alert)
                    finally:
                        self._attempting.discard(current)
            except DeliveryFailed as exc:
                delay = min(most, first * 2**attempt) * random.uniform(0.5, 1.0)
                attempt += 1
                if self._clock() + delay > deadline:
                    DeliveryStats.bump(self.stats.failed, sender.name)
                    logger.warning(
                        "alert not delivered, giving up after %d attempts: %s",
                        attempt,
                        exc,
                        extra={"notifier": sender.name, "alert": alert.key.label()},
                    )
                    return
                DeliveryStats.bump(self.stats.retried, sender.name)
                logger.info(
                    "alert delivery failed, retrying in %.1f s: %s",
                    delay,
                    exc,
                    extra={"notifier": sender.name, "alert": alert.key.label()},
                )
                await self._sleep(delay)
            else:
                DeliveryStats.bump(self.stats.sent, sender.name)
                return
