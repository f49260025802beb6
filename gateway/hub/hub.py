"""The fan-out: every state change becomes one event in one ring; streams read it with cursors.

How one event reaches a thousand browsers (issue 7 is the reason for each step):

1. :meth:`Hub.publish` numbers the event, encodes it once (:class:`~gateway.hub.event.Event`) and
   appends it to the ring. If any stream waits, it schedules *one* wake-up with ``call_soon`` —
   a burst of MQTT messages handled in one loop turn becomes one batch.
2. The wake-up walks the waiting streams. A stream whose server offers a direct write (pigw's
   server does: a :class:`~gateway.hub.writer.DirectWriter` in ``Subscriber.writer``) and whose transport takes data now gets its batch
   written right there, while its task stays parked: no task switch per stream per batch (issue 7:
   this halved the fan-out's CPU and its p50 at 100 streams, docs/performance.md). Any other
   stream's own future is resolved (one future per waiting stream, so a stream whose task is
   cancelled cancels nothing but its own wait) and its task writes with the server's ``send``.
3. Either way a stream takes (:meth:`Hub.take_sse`) everything from its cursor to the head in one
   bytes object, written at once. Streams with the same filter at the same cursor get the
   very same bytes object (the join is cached for the current head).
4. A stream whose client does not read blocks in its own ``send`` (the server's flow control) and
   nowhere else. If the ring moves past its cursor meanwhile, its next take is ``reset`` + a fresh
   ``snapshot``; if its write stays blocked for ``slow_timeout``, :meth:`Hub.tick` ends the stream.

The hub imports no server and no socket: it writes (step 2) and drops connections
(:meth:`Hub.kick`) only through the interfaces it owns in :mod:`gateway.hub.writer`, which a
server may implement. Its clock is :attr:`Hub.now`, advanced by :meth:`Hub.tick` (the gateway's
one housekeeping task), which also sends keep-alive pings to quiet SSE streams.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.hub.encoding import PING, dumps, sse_event, sse_retry, ws_message
from gateway.hub.event import Event, parse_event_id
from gateway.hub.ring import Ring
from gateway.hub.subscriber import Snapshot, Subscriber, Transport
from pigw.contract.events import LiveEventName

#: ``(device filter) -> the JSON of a snapshot's data`` (``{"devices": [...]}``), from the registry.
SnapshotSource = Callable[[frozenset[str] | None], str]


@dataclass(slots=True)
class HubStats:
    """Plain counters (read by the metrics collector at scrape time, so the hot path pays an
    integer add, not a Prometheus call)."""

    published: dict[str, int] = field(default_factory=dict)
    delivered: int = 0  # events handed to streams
    writes: int = 0  # batches handed to streams
    resume_hits: int = 0
    resume_misses: int = 0
    snapshots: int = 0
    snapshots_built: int = 0
    slow_resets: int = 0  # a stream fell out of the ring: reset + snapshot
    slow_closed: int = 0  # a stream's write stayed blocked for slow_timeout: closed


class Hub:
    """One ring, many cursors. All methods run on the event loop's thread."""

    def __init__(
        self,
        *,
        epoch: str,
        snapshot_source: SnapshotSource,
        max_events: int = 10_000,
        max_bytes: int = 4 * 1024 * 1024,
        ping_interval: float = 15.0,
        slow_timeout: float = 30.0,
        retry_ms: int = 2000,
        max_batch: int = 2048,
    ) -> None:
        self.epoch = epoch
        self.ring = Ring(max_events, max_bytes)
        self.stats = HubStats()
        self.ping_interval = ping_interval
        self.slow_timeout = slow_timeout
        self.max_batch = max_batch
        self.now = 0.0
        self.closing = False
        self._retry = sse_retry(retry_ms)
        self._snapshot_source = snapshot_source
        self._subscribers: set[Subscriber] = set()
        self._counts = {Transport.SSE: 0, Transport.WS: 0}
        self._waiting: set[Subscriber] = set()
        self._wake_scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        # (filter key, cursor) -> (encoded batch, events in it, next cursor); valid for this head.
        self._batches: dict[object, tuple[bytes, int, int]] = {}
        # (filter key) -> snapshot, valid for this head and this tick.
        self._snapshots: dict[object, Snapshot] = {}
        self._snapshots_at = (-1, -1.0)

    # --- intake side ------------------------------------------------------------------------
    def publish(self, name: LiveEventName, device: str | None, data: Mapping[str, Any]) -> Event:
        """Number, encode and append one live event; wake the waiting streams once per loop turn."""
        return self.publish_json(name, device, dumps(data))

    def publish_json(self, name: LiveEventName, device: str | None, data_json: str) -> Event:
        """:meth:`publish` for data already encoded by :mod:`gateway.hub.encoding` (compact,
        ASCII-only JSON): the intake's readings, one event each."""
        event = Event(self.epoch, self.ring.head + 1, name, device, data_json)
        self.ring.append(event)
        if self._batches:
            self._batches.clear()
        published = self.stats.published
        published[name] = published.get(name, 0) + 1
        if self._waiting and not self._wake_scheduled and self._loop is not None:
            self._wake_scheduled = True
            self._loop.call_soon(self._wake)
        return event

    @property
    def last_id(self) -> str:
        """The id of the newest event (``<epoch>-0`` before the first)."""
        return f"{self.epoch}-{self.ring.head}"

    # --- streams ----------------------------------------------------------------------------
    def can_resume(self, last_event_id: str | None) -> bool:
        """Would a stream with this ``Last-Event-ID`` continue from the ring (no snapshot)?"""
        parsed = parse_event_id(last_event_id)
        return parsed is not None and parsed.epoch == self.epoch and self.ring.holds(parsed.n + 1)

    def subscribe(
        self,
        transport: Transport,
        devices: frozenset[str] | None = None,
        types: frozenset[str] | None = None,
        last_event_id: str | None = None,
    ) -> Subscriber:
        """A new stream: resumed from the ring when ``last_event_id`` allows, else it starts with
        a snapshot (after ``reset`` when an id was given but cannot be resumed)."""
        sub = Subscriber(transport, devices, types)
        sub.last_write = self.now
        resumed = False
        if last_event_id:
            parsed = parse_event_id(last_event_id)
            if parsed is not None and parsed.epoch == self.epoch and self.ring.holds(parsed.n + 1):
                resumed = True
                sub.cursor = parsed.n + 1
                self.stats.resume_hits += 1
            else:
                self.stats.resume_misses += 1
                sub.intro_reset = "expired" if parsed and parsed.epoch == self.epoch else "epoch"
        if not resumed:
            sub.cursor = self.ring.head + 1
            sub.intro_snapshot = self._snapshot(sub.devices)
        if self.closing:
            sub.closed = "shutdown"  # subscribed while the gateway shuts down: end at once
        self._subscribers.add(sub)
        self._counts[transport] += 1
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        if sub in self._subscribers:
            self._subscribers.discard(sub)
            self._waiting.discard(sub)
            self._counts[sub.transport] -= 1

    def count(self, transport: Transport | None = None) -> int:
        if transport is None:
            return len(self._subscribers)
        return self._counts[transport]

    def has_pending(self, sub: Subscriber) -> bool:
        return (
            sub.cursor <= self.ring.head
            or sub.closed is not None
            or sub.ping_due
            or sub.intro_retry
            or sub.intro_snapshot is not None
        )

    async def wait(self, sub: Subscriber) -> None:
        """Return when ``sub`` has something to take (events, a ping, or its end)."""
        if self.has_pending(sub):
            return
        loop = self._loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        sub.waiter = waiter
        self._waiting.add(sub)
        try:
            await waiter
        finally:
            sub.waiter = None
            self._waiting.discard(sub)

    def take_sse(self, sub: Subscriber) -> bytes:
        """Everything ``sub`` has not been given yet, as SSE bytes (``b""`` when nothing)."""
        parts: list[bytes] = []
        if sub.intro_retry:
            sub.intro_retry = False
            parts.append(self._retry)
        self._catch_up(sub)
        if sub.intro_reset is not None:
            parts.append(sse_event(None, "reset", dumps({"reason": sub.intro_reset})))
            sub.intro_reset = None
        if sub.intro_snapshot is not None:
            parts.append(sub.intro_snapshot.sse())
            sub.intro_snapshot = None
            self.stats.snapshots += 1
        if sub.cursor <= self.ring.head:
            batch = self._sse_batch(sub)
            if batch:
                parts.append(batch)
        if sub.ping_due:
            sub.ping_due = False
            if not parts:
                return PING
        if len(parts) == 1:
            return parts[0]  # the shared object itself, no copy
        return b"".join(parts)

    def take_ws(self, sub: Subscriber) -> list[str]:
        """Everything ``sub`` has not been given yet, one WebSocket text message per event."""
        sub.intro_retry = False
        sub.ping_due = False  # the WebSocket server pings on its own
        self._catch_up(sub)
        texts: list[str] = []
        if sub.intro_reset is not None:
            texts.append(ws_message(None, "reset", dumps({"reason": sub.intro_reset})))
            sub.intro_reset = None
        if sub.intro_snapshot is not None:
            texts.append(sub.intro_snapshot.ws_text())
            sub.intro_snapshot = None
            self.stats.snapshots += 1
        if sub.cursor <= self.ring.head:
            events = self.ring.since(sub.cursor, self.max_batch)
            sub.cursor = events[-1].n + 1
            texts.extend(event.ws_text() for event in events if sub.matches(event))
            self.stats.delivered += len(texts)
        if texts:
            self.stats.writes += 1
        return texts

    def close(self, sub: Subscriber, reason: str) -> None:
        """End ``sub``'s stream: it takes what is pending, then its loop ends."""
        if sub.closed is None:
            sub.closed = reason
        self._wake_one(sub)

    def close_all(self, reason: str = "shutdown") -> None:
        """End every stream and refuse new ones (gateway shutdown). A stream stuck in a blocked
        write is cancelled out of it (see :meth:`kick`)."""
        self.closing = True
        for sub in list(self._subscribers):
            if sub.sending_since is not None:
                self.kick(sub, reason)
            else:
                self.close(sub, reason)

    def kick(self, sub: Subscriber, reason: str) -> None:
        """End a stream whose write is blocked: abort its connection when the server offers that
        (the blocked write returns at once), else cancel its task (the stream code recognises the
        cancellation by ``sub.kicked`` and ends the response)."""
        sub.closed = reason
        if sub.kicked:
            return
        sub.kicked = True
        if sub.connection is not None:
            sub.connection.abort()
        elif sub.task is not None:
            sub.task.cancel()

    # --- housekeeping -----------------------------------------------------------------------
    def tick(self, now: float) -> None:
        """Advance the hub's clock; ping quiet SSE streams; end streams blocked for too long."""
        self.now = now
        for sub in self._subscribers:
            if sub.sending_since is not None:
                if now - sub.sending_since >= self.slow_timeout and not sub.kicked:
                    self.stats.slow_closed += 1
                    self.kick(sub, "slow")
            elif (
                sub.transport is Transport.SSE
                and not sub.ping_due
                and now - sub.last_write >= self.ping_interval
            ):
                sub.ping_due = True
                self._wake_one(sub)

    # --- internals --------------------------------------------------------------------------
    def _wake(self) -> None:
        self._wake_scheduled = False
        waiting, self._waiting = self._waiting, set()
        parked = self._waiting
        now = self.now
        for sub in waiting:
            waiter = sub.waiter
            if waiter is None or waiter.done():
                continue
            writer = sub.writer
            if writer is not None and sub.closed is None and writer.can_write():
                # The direct path: the stream's task stays parked in wait() (so no write of its
                # own is in progress) and the batch goes to the socket from here, without a task
                # switch per stream. Anything else (a blocked transport, an ending stream) wakes
                # the task, which writes with the server's flow control.
                chunk = self.take_sse(sub)
                if chunk:
                    writer.write_now(chunk)
                    sub.last_write = now
                parked.add(sub)
                continue
            waiter.set_result(None)

    def _wake_one(self, sub: Subscriber) -> None:
        waiter = sub.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _catch_up(self, sub: Subscriber) -> None:
        # The ring moved past this stream's cursor while its client was not reading (or it is
        # brand new and behind already): what it missed is gone, so it starts over.
        if sub.cursor < self.ring.first:
            self.stats.slow_resets += 1
            sub.intro_reset = "behind"
            sub.cursor = self.ring.head + 1
            sub.intro_snapshot = self._snapshot(sub.devices)

    def _sse_batch(self, sub: Subscriber) -> bytes:
        key = (sub.filter_key, sub.cursor)
        cached = self._batches.get(key)
        if cached is None:
            events = self.ring.since(sub.cursor, self.max_batch)
            if sub.filter_key is None:
                chosen = events
            else:
                chosen = [event for event in events if sub.matches(event)]
            cached = (b"".join([e.sse for e in chosen]), len(chosen), events[-1].n + 1)
            self._batches[key] = cached
        body, count, cursor = cached
        sub.cursor = cursor
        if body:
            self.stats.delivered += count
            self.stats.writes += 1
        return body

    def _snapshot(self, devices: frozenset[str] | None) -> Snapshot:
        stamp = (self.ring.head, self.now)
        if self._snapshots_at != stamp:
            self._snapshots.clear()
            self._snapshots_at = stamp
        snapshot = self._snapshots.get(devices)
        if snapshot is None:
            snapshot = Snapshot(self.last_id, self._snapshot_source(devices))
            self._snapshots[devices] = snapshot
            self.stats.snapshots_built += 1
        return snapshot
