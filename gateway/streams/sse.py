"""The SSE stream: a small ASGI callable that writes the hub's batches to one client.

Why not FastAPI's ``EventSourceResponse`` or sse-starlette: both pull one event at a time from a
per-client generator (a queue per client) and write each event separately; the hub needs one write
of a shared, pre-encoded batch per wake-up. ``make bench`` measures the difference (see
``docs/performance.md``).

Tasks, how a stream ends, and the writer protocol: ``docs/streams.md``. In short: under pigw's
server one task per stream (the request's own) — the hub writes batches to a parked stream
directly (:class:`~gateway.hub.DirectWriter`), the task runs the pump only for what that path
leaves to it, and the server reports a lost connection through
:meth:`~gateway.streams.hooks.ServerStream.on_lost`. Under another server two: the request's task
pumps and a small task waits for ``http.disconnect``. Pings and the slow-client sweep come from the
hub's single tick.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final

from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from gateway.core.readiness import BrokerReadiness
from gateway.hub import Hub, Subscriber, Transport
from gateway.runtime import Runtime
from gateway.streams.admission import Admission
from gateway.streams.hooks import server_stream

HEADERS: Final = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),  # nginx: do not buffer the stream
]


class SseStream:
    """One admitted ``GET /api/events`` stream: what :class:`EventStream` runs, and what pigw's
    front router (:mod:`gateway.streams.front`) runs directly in front of FastAPI. A slotted
    object rather than a starlette ``Response``, whose attributes and unused headers would live as
    long as the stream."""

    __slots__ = ("admission", "hub", "readiness", "snapshot_wait", "start_headers")

    def __init__(
        self,
        hub: Hub,
        readiness: BrokerReadiness,
        admission: Admission,
        *,
        snapshot_wait: float,
        extra_headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        # A list of its own: middleware may add headers to the message's list in place.
        self.start_headers = HEADERS + (extra_headers or [])
        self.hub = hub
        self.readiness = readiness
        self.admission = admission
        self.snapshot_wait = snapshot_wait

    @classmethod
    def of(
        cls,
        runtime: Runtime,
        admission: Admission,
        extra_headers: list[tuple[bytes, bytes]] | None = None,
    ) -> SseStream:
        return cls(
            runtime.hub,
            runtime.readiness,
            admission,
            snapshot_wait=runtime.settings.snapshot_wait,
            extra_headers=extra_headers,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hub = self.hub
        admission = self.admission
        try:
            await send(
                {"type": "http.response.start", "status": 200, "headers": self.start_headers}
            )
            if not hub.can_resume(admission.last_event_id):
                # The first snapshot is never emptier than the broker's retained state (bounded).
                await self.readiness.wait_loaded(self.snapshot_wait)
            sub = hub.subscribe(
                Transport.SSE, admission.devices, admission.types, admission.last_event_id
            )
            admission.attach(sub, hub)
            try:
                server = server_stream(scope)
                if server is not None:
                    # One task per stream, the request's own (inline here: every frame on a
                    # stream's stack lives as long as the stream). The hub writes batches to a
                    # parked stream itself, so this task runs only for what the direct path
                    # leaves to it (the first batch, pings, a transport above its high-water
                    # mark, the end); the server tells of a lost connection through ``on_lost``,
                    # so no second task waits in ``receive()``.
                    sub.connection = sub.writer = server
                    server.on_lost(lambda: hub.close(sub, "disconnect"))
                    await self._pump(sub, server.send)
                else:
                    await self._run_portable(sub, receive, send)
            finally:
                hub.unsubscribe(sub)
        finally:
            admission.release()

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
                    # hook): end here; the server closes the connection.
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
