"""``GET /api/ws``: the WebSocket route (messages and commands: :mod:`gateway.streams.websocket`).

Route only: admission is :mod:`gateway.streams.admission`, the same checks as the SSE stream's
plus the ``Origin`` check a WebSocket needs.
"""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from gateway.api.deps import get_runtime
from gateway.hub import Transport
from gateway.streams import websocket as stream
from gateway.streams.admission import Refused, admit

router = APIRouter(tags=["events"])


@router.websocket("/api/ws")
async def ws(websocket: WebSocket) -> None:
    runtime = get_runtime(websocket)
    try:
        admission = admit(websocket, runtime, Transport.WS)
    except Refused as refused:
        await stream.deny(websocket, refused)
        return
    await stream.serve(websocket, runtime, admission)
