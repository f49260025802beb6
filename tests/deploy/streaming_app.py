"""A stand-in for the gateway behind the reverse proxy: an event stream that waits between events,
a WebSocket echo, and an endpoint that shows the headers the proxy forwarded.

The stream sends one event, then nothing until the test calls ``POST /release``. If a proxy buffered
the response, that first event would sit in its buffer and the test would never see it before the
release. On purpose it sends no ``X-Accel-Buffering: no`` header (the real gateway's SSE libraries
do): the proxy config alone must keep the stream unbuffered.

Run with ``uvicorn tests.deploy.streaming_app:app``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.released = asyncio.Event()
    yield


async def events(request: Request) -> Response:
    released: asyncio.Event = request.app.state.released

    async def stream() -> AsyncIterator[bytes]:
        yield b'retry: 1000\n\nid: 1\nevent: reading\ndata: {"n": 1}\n\n'
        await released.wait()
        yield b'id: 2\nevent: reading\ndata: {"n": 2}\n\n'

    return StreamingResponse(stream(), media_type="text/event-stream")


async def release(request: Request) -> Response:
    request.app.state.released.set()
    return PlainTextResponse("released")


async def headers(request: Request) -> Response:
    return JSONResponse({key: value for key, value in request.headers.items()})


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    while True:
        text = await websocket.receive_text()
        await websocket.send_text(f"echo: {text}")


app = Starlette(
    routes=[
        Route("/api/events", events),
        Route("/release", release, methods=["POST"]),
        Route("/headers", headers),
        WebSocketRoute("/api/ws", echo),
    ],
    lifespan=lifespan,
)
