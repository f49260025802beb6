"""Request size limits as ASGI middleware: 413 for bodies, 414 for URLs, 431 for headers.

pigw's server refuses oversized URLs and header blocks while parsing them, before anything is
buffered (:mod:`gateway.server`); this middleware enforces the same limits for any other server
and is the only place that limits bodies (``Content-Length`` up front, chunked bodies as they
arrive). Every refusal is counted (``pigw_gateway_requests_refused_total``).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Refused = Callable[[str], None]


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a body passes the limit. An HTTPException, because FastAPI turns
    any other exception while reading a body into 400."""

    def __init__(self) -> None:
        super().__init__(413, "request body too large")


class RequestLimits:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        max_url: int,
        max_headers: int,
        refused: Refused,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_url = max_url
        self.max_headers = max_headers
        self.refused = refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        target = len(scope.get("raw_path") or scope["path"].encode()) + len(
            scope.get("query_string", b"")
        )
        if target > self.max_url:
            await self._refuse(scope, receive, send, status=414, text="URL too long", reason="url")
            return
        if sum(len(k) + len(v) + 4 for k, v in scope["headers"]) > self.max_headers:
            await self._refuse(
                scope, receive, send, status=431, text="request headers too large", reason="headers"
            )
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or int(value) > self.max_body:
                    await self._refuse(
                        scope,
                        receive,
                        send,
                        status=413,
                        text="request body too large",
                        reason="body",
                    )
                    return
                break
        await self._limited(scope, receive, send)

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    self.refused("body")
                    raise BodyTooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            if started:
                raise
            response = PlainTextResponse("request body too large", 413, {"connection": "close"})
            await response(scope, receive, send)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, *, status: int, text: str, reason: str
    ) -> None:
        self.refused(reason)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1009, "reason": text})
            return
        response = PlainTextResponse(text, status_code=status, headers={"connection": "close"})
        await response(scope, receive, send)
