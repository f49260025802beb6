"""Running the app under uvicorn (uvloop + httptools), with what pigw adds to it.

1. **Size and time limits while parsing.** With httptools, uvicorn buffers a header block of any
   size before the app sees it, and answers a very long URL with a generic 400 (measured with
   uvicorn 0.54: a 1 MB header block accepted, a 100 KB URL 400). :func:`limited_protocol` counts
   the raw bytes of a request head as they arrive and answers 431 once it passes
   ``--max-header-bytes`` however it is split (httptools calls ``on_header`` only for a completed
   header and concatenates an unfinished one itself: 50 MiB of one header line were buffered,
   never refused, costing seconds of CPU; issue 17), 414 for a URL over ``--max-url-bytes``, 408
   for a head not complete within ``--header-timeout`` (slowloris), and 503 to a connection
   beyond ``--max-connections``. Nothing oversized is buffered and the client gets a 4xx or 503,
   never a 500 (issue 6). It also offers each request's connection to the event stream
   (:class:`StreamHooks`, implementing :class:`gateway.streams.hooks.ServerStream` and so the hub's
   :class:`~gateway.hub.DirectWriter`): ``abort`` drops the connection of a stream whose client
   stopped reading (a plain ``close()`` would wait forever to flush data that client never reads),
   ``write_now`` lets the hub write a parked stream's batch itself, and ``send`` is the server's own
   ``send``, so a stream writes its body without passing every batch through each middleware's
   ``send`` wrapper (those only act on ``http.response.start``, which goes through them as usual;
   measured: the wrappers cost a fifth of the fan-out's CPU).
2. **The stream in front of the framework.** ``GET /api/events`` is answered by
   :class:`~gateway.streams.front.FrontRouter` before FastAPI, so a long-lived stream does not
   keep the framework's per-request objects alive (memory, see that module).
3. **Shutdown that never hangs on streams.** uvicorn waits for open connections *before* it runs
   the lifespan's shutdown, so the lifespan alone cannot end endless streams in time.
   :class:`GatewayServer` ends them first (:meth:`Hub.close_all`), then shuts down as usual.
4. **Fewer garbage-collector pauses** (:func:`tune_gc`).

The protocol subclasses use uvicorn's parser callbacks and its WebSocket protocol's
``handle_connect``; ``tests/gateway/test_server.py`` and the stream tests run through them, so an
uvicorn release that changes them fails those tests rather than the gateway in the field.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
from collections.abc import Callable
from typing import Any, Final, cast

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp, Send
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from gateway.api.web_security import RAW_SECURITY_HEADERS, WebSecurity
from gateway.app import create_app
from gateway.settings import GatewaySettings
from gateway.streams.front import FrontRouter
from gateway.streams.hooks import STREAM_EXTENSION

logger = logging.getLogger("gateway.server")

#: uvicorn ends connections still open this long after shutdown began (a safety net: pigw ends its
#: own streams at once).
GRACEFUL_SHUTDOWN: Final = 10
#: Largest WebSocket message a client may send (commands are tiny).
WS_MAX_SIZE: Final = 64 * 1024

_REASONS: Final = {
    408: b"Request Timeout",
    414: b"URI Too Long",
    431: b"Request Header Fields Too Large",
    503: b"Service Unavailable",
}
#: The end of a request head (RFC 9112 §2.1: the empty line after the header fields).
_HEAD_END: Final = b"\r\n\r\n"


class _Refused(Exception):
    pass


def limited_protocol(
    max_url: int,
    max_headers: int,
    *,
    header_timeout: float = 10.0,
    max_connections: int | None = None,
    refused: Callable[[str], None] | None = None,
) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with URL/head limits, a deadline for the head, a connection
    cap and the stream hooks. ``refused`` counts what was refused (``url``, ``headers``,
    ``header_timeout``, ``max_connections``)."""

    def count(reason: str) -> None:
        if refused is not None:
            refused(reason)

    class LimitedHttpToolsProtocol(HttpToolsProtocol):
        # One attribute for pigw's state: a 29th attribute costs the shared-key dict, 1.3 KB.
        _pigw: _Connection

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            state = self._pigw = _Connection()
            if max_connections is not None and len(self.connections) > max_connections:
                state.refusal = (503, "too many open connections (--max-connections)")
                count("max_connections")
                self.send_400_response("")
                return
            self._count_head()
            self._start_deadline()

        def _count_head(self) -> None:
            """A request head comes next: count its bytes from zero."""
            state = self._pigw
            state.in_head = True
            state.head_bytes = 0
            state.line_bytes = 0
            state.head_tail = b""

        def _start_deadline(self) -> None:
            """The connection waits for a head (it is not serving a response): it has
            ``header_timeout`` seconds to complete it."""
            state = self._pigw
            if state.in_head and state.deadline is None:
                state.deadline = self.loop.call_later(header_timeout, self._head_too_slow)

        def _head_done(self) -> None:
            state = self._pigw
            state.in_head = False
            deadline, state.deadline = state.deadline, None
            if deadline is not None:
                deadline.cancel()

        def _head_too_slow(self) -> None:
            state = self._pigw
            state.deadline = None
            if not state.in_head or state.refusal is not None or self.transport.is_closing():
                return
            count("header_timeout")
            if state.head_bytes == 0:
                # An idle connection (nothing of a next request yet): just close it.
                self.transport.close()
                return
            state.refusal = (408, "the request head did not arrive in time (--header-timeout)")
            self.send_400_response("")

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._count_head()  # a pipelined or keep-alive request's head may follow

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._start_deadline()  # idle again: the next head has its deadline

        def on_message_begin(self) -> None:
            super().on_message_begin()
            state = self._pigw
            state.url_bytes = 0
            state.header_bytes = 0

        def on_headers_complete(self) -> None:
            self._head_done()
            super().on_headers_complete()
            cycle = self.cycle
            if cycle is not None and cycle.scope is self.scope:
                hooks = self._pigw.hooks = StreamHooks(self.transport, self.flow, cycle)
                # uvicorn types extensions as dicts; ASGI lets a server put any object there.
                self.scope["extensions"] = {STREAM_EXTENSION: hooks}  # type: ignore[dict-item]

        def connection_lost(self, exc: Exception | None) -> None:
            super().connection_lost(exc)
            state = self._pigw
            deadline, state.deadline = state.deadline, None
            if deadline is not None:
                deadline.cancel()
            hooks, state.hooks = state.hooks, None
            if hooks is not None:
                hooks.lost()

        def on_url(self, url: bytes) -> None:
            state = self._pigw
            state.url_bytes += len(url)
            if state.url_bytes > max_url:
                state.refusal = (414, "URL too long")
                count("url")
                raise _Refused
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            state = self._pigw
            state.header_bytes += len(name) + len(value) + 4
            if state.header_bytes > max_headers:
                state.refusal = (431, "request headers too large")
                count("headers")
                raise _Refused
            super().on_header(name, value)

        def data_received(self, data: bytes) -> None:
            state = self._pigw
            if state.refusal is not None:
                return  # answered already; the connection is closing
            if state.in_head:
                # Raw bytes of the head, up to its empty line (the rest is body, or the next
                # request of a pipeline): counted before httptools buffers anything.
                seen = state.head_tail + data
                end = seen.find(_HEAD_END)
                if end == -1:
                    state.head_bytes += len(data)
                    state.head_tail = seen[-3:]
                else:
                    state.head_bytes += end + len(_HEAD_END) - len(state.head_tail)
                    state.in_head = False
                if state.line_bytes >= 0:  # the request line is not complete yet
                    line_end = data.find(b"\n")
                    state.line_bytes = -1 if line_end != -1 else state.line_bytes + len(data)
                    if state.line_bytes > max_url:
                        state.refusal = (414, "URL too long (--max-url-bytes)")
                        count("url")
                        self._head_done()
                        self.send_400_response("")
                        return
                if state.head_bytes > max_headers:
                    state.refusal = (431, "request head too large (--max-header-bytes)")
                    count("headers")
                    self._head_done()
                    self.send_400_response("")
                    return
            super().data_received(data)

        def send_400_response(self, msg: str) -> None:
            # httptools reports an exception raised in a callback as a parse error, which uvicorn
            # answers with 400: answer the limit's own status instead.
            refusal = self._pigw.refusal
            if refusal is None:
                super().send_400_response(msg)
                return
            status, text = refusal
            body = text.encode()
            self.transport.write(
                b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"content-length: %d\r\nconnection: close\r\n%s\r\n%s"
                % (status, _REASONS[status], len(body), RAW_SECURITY_HEADERS, body)
            )
            self.transport.close()
            logger.info("refused a request: %s", text, extra={"status": status})

    return LimitedHttpToolsProtocol


class _Connection:
    """pigw's state of one HTTP connection: bytes of the request line and headers so far (parsed
    and raw), the head's deadline, a refusal being answered, the current stream's hooks."""

    __slots__ = (
        "deadline",
        "head_bytes",
        "head_tail",
        "header_bytes",
        "hooks",
        "in_head",
        "line_bytes",
        "refusal",
        "url_bytes",
    )

    def __init__(self) -> None:
        self.url_bytes = 0
        self.header_bytes = 0
        #: Raw bytes of the current request head so far, while ``in_head``; the last three bytes
        #: seen, to find an empty line split across two reads; the head's deadline.
        self.in_head = False
        self.head_bytes = 0
        self.line_bytes = 0  # of the request line, until it is complete (then -1)
        self.head_tail = b""
        self.deadline: asyncio.TimerHandle | None = None
        self.refusal: tuple[int, str] | None = None
        self.hooks: StreamHooks | None = None


class StreamHooks:
    """What pigw's server offers a response body through the scope
    (:class:`gateway.streams.hooks.ServerStream`).

    * ``write_now`` frames a body as one HTTP/1.1 chunk exactly as uvicorn's ``send`` does (the
      event stream is always chunked: it has no length) and writes it as one vectored write, so a
      shared batch is not copied per stream; ``can_write`` says whether that may be done now: not
      before the response head went out, not once the client is gone or the response complete,
      and not while the transport is above its high-water mark (then the stream writes through
      ``send``, which waits for the drain: uvicorn's flow control).
    * ``on_lost`` registers the one callback to run when the connection is lost (at once if it
      is lost already), so a stream learns of a disconnect without a task waiting in
      ``receive()``.
    * ``abort`` drops the connection and its unsent data at once.
    * ``send`` is the request cycle's own ``send``.

    One small object per request, itself the scope extension."""

    __slots__ = ("_lost", "cycle", "flow", "send", "transport")

    def __init__(
        self, transport: asyncio.Transport, flow: FlowControl, cycle: RequestResponseCycle
    ) -> None:
        self.transport = transport
        self.flow = flow
        self.cycle = cycle
        self.send = cast(Send, cycle.send)  # uvicorn's typed messages are ASGI messages
        self._lost: Callable[[], None] | None = None

    def abort(self) -> None:
        self.transport.abort()

    def can_write(self) -> bool:
        cycle = self.cycle
        return (
            cycle.chunked_encoding is True
            and not self.flow.write_paused
            and not cycle.disconnected
            and not cycle.response_complete
        )

    def write_now(self, body: bytes) -> None:
        self.transport.writelines((b"%x\r\n" % len(body), body, b"\r\n"))

    def on_lost(self, callback: Callable[[], None]) -> None:
        if self.cycle.disconnected:
            callback()
        else:
            self._lost = callback

    def lost(self) -> None:
        callback, self._lost = self._lost, None
        if callback is not None:
            callback()


class WebSocketHooks:
    """What pigw's server offers a WebSocket stream: the hub's :class:`~gateway.hub.Abortable`."""

    __slots__ = ("transport",)

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport

    def abort(self) -> None:
        self.transport.abort()


class AbortableWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol with an abort hook in the scope, so a WebSocket whose client
    stopped reading is dropped at once instead of lingering until its buffers drain."""

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][STREAM_EXTENSION] = WebSocketHooks(self.transport)


class GatewayServer(uvicorn.Server):
    """uvicorn's server, ending the app's streams before waiting for connections to close."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.gateway_app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        runtime = getattr(self.gateway_app.state, "runtime", None)
        if runtime is not None:
            runtime.hub.close_all("shutdown")
        await super().shutdown(sockets)


def server_config(
    app: ASGIApp,
    settings: GatewaySettings,
    refused: Callable[[str], None] | None = None,
    **overrides: Any,
) -> uvicorn.Config:
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop",
        "http": limited_protocol(
            settings.max_url_bytes,
            settings.max_header_bytes,
            header_timeout=settings.header_timeout,
            max_connections=settings.max_connections,
            refused=refused,
        ),
        "ws": AbortableWebSocketProtocol,
        "ws_max_size": WS_MAX_SIZE,
        "lifespan": "on",
        "log_config": None,  # pigw.logs set up the handlers; uvicorn's loggers propagate to them
        "access_log": True,
        "proxy_headers": True,
        "server_header": False,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN,
    }
    options.update(overrides)
    return uvicorn.Config(app, **options)


def refusal_counter(app: FastAPI) -> Callable[[str], None]:
    """Counts a refusal in the running app's ``requests_refused`` metric."""

    def refused(reason: str) -> None:
        runtime = getattr(app.state, "runtime", None)
        if runtime is not None:
            runtime.refusals.count(reason)

    return refused


def web_security(front: ASGIApp, app: FastAPI, settings: GatewaySettings) -> ASGIApp:
    """The app's Host check and security headers (:mod:`gateway.api.web_security`) also in front
    of the stream's fast path, which answers ``/api/events`` before the app's middleware (for the
    rest the app's own wrapper finds the headers set and adds nothing)."""
    return WebSecurity(
        front,
        check_host=settings.open_access or bool(settings.allowed_host),
        allowed_hosts=settings.allowed_host,
        refused=refusal_counter(app),
    )


def tune_gc() -> None:
    """Fewer, cheaper garbage collections (issue 7: the p99 of the fan-out was set by collector
    pauses). ``gc.freeze()`` moves everything alive after start-up (modules, the app) out of the
    collector's reach, so a full collection no longer walks it; a larger first generation makes
    collections rarer. Reference counting still frees almost everything at once; the collector only
    looks for cycles. It halved the fan-out's p99 at 1,000 streams (``docs/events.md``)."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def serve(settings: GatewaySettings) -> None:
    """Run the gateway until SIGINT/SIGTERM."""
    app = create_app(settings)
    tune_gc()
    front = web_security(FrontRouter(app, settings.cors_origin), app, settings)
    GatewayServer(server_config(front, settings, refusal_counter(app)), app).run()
