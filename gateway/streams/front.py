"""The front router: ``GET /api/events`` answered in front of FastAPI, everything else passed on.

A stream lives for hours, and everything on the call stack of its request lives as long: FastAPI's
routing and dependency machinery (two exit stacks, several request objects) and a coroutine frame per
middleware. Measured, that is ~29 KB per open stream, most of the gateway's memory at 1,000 streams
(issue 7's budget is 65 MB in all; ``docs/performance.md``). pigw's server (:mod:`gateway.server`)
therefore wraps the app in :class:`FrontRouter`, which admits the stream with the very checks the
FastAPI route runs (:mod:`gateway.streams.admission`; the route in :mod:`gateway.api.events` stays
for OpenAPI and for other servers) and adds the CORS headers the app's middleware would. What it
skips is what a stream does not need: body limits (a GET has no body; URL and header limits are
enforced by the server while parsing), exception pages, and per-route HTTP metrics (streams have
their own).
"""

from __future__ import annotations

from typing import Final

from fastapi import FastAPI
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from gateway.hub import Transport
from gateway.streams.admission import Refused, admit, cors_headers
from gateway.streams.hooks import forget
from gateway.streams.sse import SseStream

PATH: Final = "/api/events"


class FrontRouter:
    """ASGI wrapper: ``GET /api/events`` here, everything else to ``app``."""

    def __init__(self, app: FastAPI, cors_origins: list[str]) -> None:
        self.app = app
        self.cors_origins = frozenset(cors_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._dispatch(scope, receive, send)
        finally:
            forget(scope)  # no reference cycle through the scope (gateway/streams/hooks.py)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = getattr(self.app.state, "runtime", None)
        if (
            scope["type"] != "http"
            or scope["path"] != PATH
            or scope["method"] != "GET"
            or runtime is None
        ):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        cors = cors_headers(connection.headers.get("origin"), self.cors_origins)
        try:
            admission = admit(connection, runtime, Transport.SSE)
        except Refused as refused:
            await _problem(refused, cors)(scope, receive, send)
            return
        del connection  # nothing of the request outlives this point but the scope
        headers = [(k.encode(), v.encode()) for k, v in cors.items()]
        await SseStream.of(runtime, admission, headers)(scope, receive, send)


def _problem(refused: Refused, cors: dict[str, str]) -> JSONResponse:
    return JSONResponse(
        {"detail": refused.detail},
        status_code=refused.status,
        headers={**refused.headers, **cors},
    )
