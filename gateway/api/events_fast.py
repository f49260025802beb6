"""``GET /api/events`` served in front of FastAPI: the same stream, without the framework's frames.

A stream lives for hours, and everything on the call stack of its request lives as long: FastAPI's
routing and dependency machinery (two exit stacks, several request objects) and a coroutine frame per
middleware. Measured, that is ~29 KB per open stream, most of the gateway's memory at 1,000 streams
(issue 7's budget is 65 MB in all). pigw's server (:mod:`gateway.server`) therefore wraps the app in
:class:`EventsFastPath`, which answers ``GET /api/events`` itself with the same checks as the
FastAPI route (:mod:`gateway.api.events`, which stays for OpenAPI and for other servers): token
(401), filters (422), stream slots (503), CORS headers for the allowed origins. What it skips is
what a stream does not need: body limits (a GET has no body; URL and header limits are enforced by
the server while parsing), exception pages, and per-route HTTP metrics (streams have their own).
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI, HTTPException
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from gateway.api.deps import authenticate
from gateway.api.events import sse_stream, stream_filters, take_slot
from gateway.api.sse_response import STREAM_EXTENSION
from gateway.runtime import Runtime

PATH: Final = "/api/events"
MAX_LAST_EVENT_ID: Final = 64


class EventsFastPath:
    """ASGI wrapper: ``GET /api/events`` here, everything else to ``app``."""

    def __init__(self, app: FastAPI, cors_origins: list[str]) -> None:
        self.app = app
        self.cors_origins = frozenset(cors_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._dispatch(scope, receive, send)
        finally:
            # pigw's server puts bound methods of the connection's transport and request cycle
            # into the scope (gateway/server.py), which makes scope, cycle, protocol and transport
            # one reference cycle. Left in place, every finished connection would wait for a full
            # garbage collection (rare with the tuned collector) before its memory came back:
            # 1,000 clients reconnecting for a minute grew the gateway from 57 to 175 MB (issue 8).
            extensions = scope.get("extensions")
            if extensions:
                extensions.pop(STREAM_EXTENSION, None)

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
        cors = self._cors(connection.headers.get("origin"))
        try:
            devices, types, last_event_id = _check(connection, runtime)
        except HTTPException as exc:
            await _problem(exc, cors)(scope, receive, send)
            return
        del connection  # nothing of the request outlives this point but the scope
        headers = [(k.encode(), v.encode()) for k, v in cors.items()]
        stream = sse_stream(runtime, devices, types, last_event_id, headers)
        await stream(scope, receive, send)

    def _cors(self, origin: str | None) -> dict[str, str]:
        if origin is None or origin.rstrip("/") not in self.cors_origins:
            return {}
        return {
            "access-control-allow-origin": origin,
            "access-control-allow-credentials": "true",
            "vary": "Origin",
        }


def _check(
    connection: HTTPConnection, runtime: Runtime
) -> tuple[frozenset[str] | None, frozenset[str] | None, str | None]:
    """The FastAPI route's checks, in its order: token, filters, ``Last-Event-ID``, a slot."""
    if authenticate(connection, runtime) is None:
        raise HTTPException(401, "a valid token is needed", headers={"WWW-Authenticate": "Bearer"})
    params = connection.query_params
    devices, types = stream_filters(params.getlist("device"), params.getlist("type"))
    last_event_id = connection.headers.get("last-event-id")
    if last_event_id is not None and len(last_event_id) > MAX_LAST_EVENT_ID:
        raise HTTPException(422, "Last-Event-ID is too long")
    take_slot(runtime)
    return devices, types, last_event_id


def _problem(exc: HTTPException, cors: dict[str, Any]) -> JSONResponse:
    return JSONResponse(
        {"detail": exc.detail}, status_code=exc.status_code, headers={**(exc.headers or {}), **cors}
    )
