"""One live stream as the hub sees it: a cursor into the ring, a filter, and a little bookkeeping.

There is no queue per subscriber: what a subscriber has not received yet is simply the ring from its
cursor to the head. A stream that stops reading keeps an old cursor and costs nothing else.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum

from gateway.hub.encoding import sse_event, ws_message
from gateway.hub.event import Event
from gateway.hub.writer import Abortable, DirectWriter
from pigw.contract.events import DEVICE_EVENTS


class Transport(StrEnum):
    SSE = "sse"
    WS = "ws"


class Snapshot:
    """A ``snapshot`` event's data and id, encoded lazily per transport and shared by every stream
    that subscribed at the same head with the same device filter (reconnect storms)."""

    __slots__ = ("_sse", "_ws", "data_json", "id")

    def __init__(self, event_id: str, data_json: str) -> None:
        self.id = event_id
        self.data_json = data_json
        self._sse: bytes | None = None
        self._ws: str | None = None

    def sse(self) -> bytes:
        if self._sse is None:
            self._sse = sse_event(self.id, "snapshot", self.data_json)
        return self._sse

    def ws_text(self) -> str:
        if self._ws is None:
            self._ws = ws_message(self.id, "snapshot", self.data_json)
        return self._ws


class Subscriber:
    """A stream's cursor (``cursor`` = the number of the next event it has not been given), its
    filter, and what the hub needs to wake it, ping it and close it."""

    __slots__ = (
        "closed",
        "connection",
        "cursor",
        "devices",
        "filter_key",
        "intro_reset",
        "intro_retry",
        "intro_snapshot",
        "kicked",
        "last_write",
        "ping_due",
        "sending_since",
        "task",
        "transport",
        "types",
        "waiter",
        "writer",
    )

    def __init__(
        self,
        transport: Transport,
        devices: frozenset[str] | None = None,
        types: frozenset[str] | None = None,
    ) -> None:
        self.transport = transport
        self.devices = devices or None
        self.types = types or None
        #: ``None`` for an unfiltered stream; streams with equal keys share encoded batches.
        self.filter_key: tuple[frozenset[str] | None, frozenset[str] | None] | None = (
            None if self.devices is None and self.types is None else (self.devices, self.types)
        )
        self.cursor = 1
        self.intro_retry = transport is Transport.SSE
        self.intro_reset: str | None = None
        self.intro_snapshot: Snapshot | None = None
        self.waiter: asyncio.Future[None] | None = None
        #: Why the stream is ending (``shutdown``, ``disconnect``, ``slow``), or ``None``.
        self.closed: str | None = None
        #: The hub's coarse clock when the stream's current write began; ``None`` between writes.
        self.sending_since: float | None = None
        self.last_write = 0.0
        self.ping_due = False
        #: Set when the hub cancelled the stream's task to end a blocked write.
        self.kicked = False
        self.task: asyncio.Task[object] | None = None
        #: The stream's connection, if the server lets the hub drop it (:meth:`Hub.kick`).
        self.connection: Abortable | None = None
        #: The server's direct write, if offered (SSE under pigw's server): the hub then writes a
        #: parked stream's batch itself instead of waking its task.
        self.writer: DirectWriter | None = None

    def matches(self, event: Event) -> bool:
        """Does the filter let ``event`` through? Filters apply to device events only (CONTRACT.md):
        ``broker`` reaches every stream."""
        if event.type not in DEVICE_EVENTS:
            return True
        if self.types is not None and event.type not in self.types:
            return False
        return self.devices is None or event.device in self.devices

    def __repr__(self) -> str:
        return f"Subscriber({self.transport} cursor={self.cursor} filter={self.filter_key})"
