"""The SSE response: a small ASGI callable that writes the hub's batches to one client.

Why not FastAPI's ``EventSourceResponse`` or sse-starlette: both pull one event at a time from a
per-client generator (a queue per client) and write each event separately; the hub needs one write
of a shared, pre-encoded batch per wake-up. ``make bench`` measures the difference (see
``docs/performance.md``).

Tasks: under pigw's server, one per stream (the request's own): the hub writes batches to a parked
stream directly through the server's ``write_now`` hook, the task runs the pump only for what that
path leaves to it, and the server reports a lost connection through ``on_lost``. Under another
server, two: the request's task pumps and a small task waits for ``http.disconnect``. Nothing else:
pings and the slow-client sweep come from the hub's single tick.

How a stream ends:
* the client goes away -> ``on_lost`` (or the listener) closes the subscriber -> the pump ends
  the response;
* shutdown -> :meth:`Hub.close_all` closes every subscriber -> same;
* the client stopped reading and the write stays blocked for ``--slow-stream-timeout`` -> the hub
  kicks the stream: with pigw's server the connection is aborted (``pigw.stream`` in the scope, see
  :mod:`gateway.server`), which releases the blocked write at once; under another server the task is
  cancelled out of its write instead.

With pigw's server the body is written with the server's own ``send`` from that extension (the
response start still passes every middleware).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Final

from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from gateway.hub import Hub, Subscriber, Transport
from gateway.readiness import Readiness
from gateway.runtime import StreamSlots

HEADERS: Final = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),  # nginx: do not buffer the stream
]

#: The ASGI scope extension pigw's server adds (:mod:`gateway.server`): ``abort()`` drops the
#: connection and its unsent data at once; ``send`` is the server's own ``send`` for body messages.
STREAM_EXTENSION: Final = "pigw.stream"


class SseStream:
    """One ``GET /api/events`` stream: what :class:`EventStream` runs, and what pigw's server runs
    directly in front of FastAPI (:mod:`gateway.api.events_fast`). A slotted object rather than a
    starlette ``Response``, whose attributes and unused headers would live as long as the stream."""

    __slots__ = (
        "devices",
        "hub",
        "last_event_id",
        "readiness",
        "slots",
        "snapshot_wait",
        "start_headers",
        "types",
    )

    def __init__(
        self,
        hub: Hub,
        readiness: Readiness,
        slots: StreamSlots,
        *,
        devices: frozenset[str] | None,
        types: frozenset[str] | None,
        last_event_id: str | None,
        snapshot_wait: float,
        extra_headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        # A list of its own: middleware may add headers to the message's list in place.
        self.start_headers = HEADERS + (extra_headers or [])
        self.hub = hub
        self.readiness = readiness
        self.slots = slots
        self.devices = devices
        self.types = types
        self.last_event_id = last_event_id
        self.snapshot_wait = snapshot_wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hub = self.hub
        try:
            await send(
                {"type": "http.response.start", "status": 200, "headers": self.start_headers}
            )
            if not hub.can_resume(self.last_event_id):
                # The first snapshot is never emptier than the broker's retained state (bounded).
                await self.readiness.wait_loaded(self.snapshot_wait)
            sub, _ = hub.subscribe(Transport.SSE, self.devices, self.types, self.last_event_id)
            try:
                extension = (scope.get("extensions") or {}).get(STREAM_EXTENSION)
                on_lost: Callable[[Callable[[], None]], None] | None = (
                    extension.get("on_lost") if extension else None
                )
                if extension and on_lost is not None:
                    # One task per stream, the request's own (inline here: every frame on a
                    # stream's stack lives as long as the stream). The hub writes batches to a
                    # parked stream itself (``write_now``), so this task runs only for what the
                    # direct path leaves to it (the first batch, pings, a transport above its
                    # high-water mark, the end); the server tells of a lost connection through
                    # ``on_lost``, so no second task waits in ``receive()``. Measured at 1,000
                    # streams: ~2 KB less per stream than a pump task plus a listener.
                    sub.abort = extension["abort"]
                    sub.can_write = extension.get("can_write")
                    sub.write_now = extension.get("write_now")
                    on_lost(lambda: hub.close(sub, "disconnect"))
                    await self._pump(sub, extension["send"])
                else:
                    await self._run_portable(sub, receive, send)
            finally:
                hub.unsubscribe(sub)
        finally:
            self.slots.release()

    async def _run_portable(self, sub: Subscriber, receive: Receive, send: Send) -> None:
        sub.task = asyncio.current_task()
        listener = asyncio.create_task(_listen(receive, self.hub, sub))
        try:
            await self._pump(sub, send)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def _pump(self, sub: Subscriber, send: Send) -> None:
        hub = self.hub
        take = hub.take_sse
        message: Message = {"type": "http.response.body", "body": b"", "more_body": True}
        while True:
            chunk = take(sub)
            if chunk:
                message["body"] = chunk
                sub.sending_since = hub.now
                try:
                    await send(message)
                except asyncio.CancelledError:
                    if not sub.kicked:
                        raise
                    # Cancelled out of a blocked write by the hub (a server without the abort
                    # extension): end here; the server closes the connection.
                    task = asyncio.current_task()
                    if task is not None:
                        task.uncancel()
                    return
                sub.sending_since = None
                sub.last_write = hub.now
                continue
            if sub.closed is not None:
                break
            await hub.wait(sub)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class EventStream(Response):
    """An :class:`SseStream` as a :class:`~starlette.responses.Response`, so that FastAPI's route
    can return it (only :meth:`__call__` matters)."""

    media_type = "text/event-stream"

    def __init__(self, stream: SseStream) -> None:
        super().__init__(status_code=200, media_type="text/event-stream")
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.stream(scope, receive, send)


async def _listen(receive: Receive, hub: Hub, sub: Subscriber) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            hub.close(sub, "disconnect")
            return
