"""``GET /api/ws``: the same events as JSON ``{"id", "type", "data"}`` messages, and commands.

A client sends ``{"type": "command", "device", "actuator", "value", "cid"?}``; the gateway answers
with ``{"id": null, "type": "command_result", "data": {"cid", "status", "ack"?, "detail"?}}``
(``status`` as the REST route's HTTP status) and, as for every command, the ``ack`` event reaches
the streams. Other messages get ``{"type": "error", "data": {"detail"}}``. Behaviour:
``docs/events.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from typing import Annotated, Any, Final
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Query, WebSocket
from starlette.responses import JSONResponse
from starlette.websockets import WebSocketDisconnect

from gateway.api.deps import authenticate, get_runtime
from gateway.api.events import DeviceFilter, TypeFilter, stream_filters
from gateway.api.sse_response import STREAM_EXTENSION
from gateway.auth import Principal, Role
from gateway.commands import CommandError
from gateway.hub import Hub, Subscriber, Transport
from gateway.hub.wire import dumps
from gateway.runtime import Runtime

router = APIRouter(tags=["events"])
#: Commands one WebSocket may have waiting for their acks at once.
MAX_PENDING_COMMANDS: Final = 8


def origin_allowed(websocket: WebSocket, allowed: list[str]) -> bool:
    """Browsers send ``Origin`` on every WebSocket; it must be this gateway itself or an origin
    given with ``--cors-origin`` (cross-site WebSocket hijacking). Clients without ``Origin`` are
    not browsers and need a token like anybody else."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    if origin.rstrip("/") in allowed:
        return True
    host = websocket.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower() and bool(host)


async def _deny(websocket: WebSocket, status: int, detail: str) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(JSONResponse({"detail": detail}, status_code=status))
    else:
        await websocket.close(code=1008, reason=detail[:120])


@router.websocket("/api/ws")
async def ws(
    websocket: WebSocket,
    device: DeviceFilter = None,
    type: TypeFilter = None,
    last_event_id: Annotated[str | None, Query(max_length=64)] = None,
) -> None:
    runtime = get_runtime(websocket)
    if not origin_allowed(websocket, runtime.settings.cors_origin):
        runtime.refuse("ws_origin")
        await _deny(websocket, 403, "origin not allowed")
        return
    principal = authenticate(websocket, runtime)
    if principal is None:
        await _deny(websocket, 401, "a valid token is needed")
        return
    try:
        devices, types = stream_filters(device, type)
    except HTTPException as exc:
        await _deny(websocket, exc.status_code, str(exc.detail))
        return
    if runtime.hub.closing or not runtime.slots.acquire():
        runtime.refuse("max_streams")
        await _deny(websocket, 503, "too many open streams; try again later")
        return
    try:
        await websocket.accept()
        if not runtime.hub.can_resume(last_event_id):
            await runtime.readiness.wait_loaded(runtime.settings.snapshot_wait)
        sub, _ = runtime.hub.subscribe(Transport.WS, devices, types, last_event_id)
        await _serve(websocket, runtime, principal, sub)
    finally:
        runtime.slots.release()


async def _serve(
    websocket: WebSocket,
    runtime: Runtime,
    principal: Principal,
    sub: Subscriber,
) -> None:
    hub = runtime.hub
    sub.task = asyncio.current_task()
    extension = (websocket.scope.get("extensions") or {}).get(STREAM_EXTENSION)
    if extension:
        sub.abort = extension["abort"]  # a stalled client is dropped, not cancelled (sse_response)
    lock = asyncio.Lock()
    commands: set[asyncio.Task[None]] = set()
    reader = asyncio.create_task(
        _read(websocket, runtime, principal, sub, _Replies(websocket, lock, commands))
    )
    try:
        while True:
            texts = hub.take_ws(sub)
            if texts:
                if not await _write(websocket, hub, sub, lock, texts):
                    return
                continue
            if sub.closed is not None:
                break
            await hub.wait(sub)
        if sub.closed == "shutdown":
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await websocket.close(code=1001, reason="the gateway is shutting down")
    finally:
        reader.cancel()
        for task in list(commands):
            task.cancel()
        for task in [reader, *commands]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        hub.unsubscribe(sub)


async def _write(
    websocket: WebSocket, hub: Hub, sub: Subscriber, lock: asyncio.Lock, texts: list[str]
) -> bool:
    """Send one batch; False when the stream is over (client gone, or kicked as too slow)."""
    sub.sending_since = hub.now
    try:
        async with lock:
            for text in texts:
                await websocket.send_text(text)
    except asyncio.CancelledError:
        if not sub.kicked:
            raise
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
        return False
    except (WebSocketDisconnect, RuntimeError):
        return False  # the client went away mid-write
    sub.sending_since = None
    sub.last_write = hub.now
    return True


class _Replies:
    """Answers to one client's commands, written between event batches (one writer at a time)."""

    def __init__(
        self, websocket: WebSocket, lock: asyncio.Lock, commands: set[asyncio.Task[None]]
    ) -> None:
        self.websocket = websocket
        self.lock = lock
        self.commands = commands

    async def __call__(self, kind: str, data: dict[str, Any]) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            async with self.lock:
                await self.websocket.send_text(dumps({"id": None, "type": kind, "data": data}))


async def _read(
    websocket: WebSocket,
    runtime: Runtime,
    principal: Principal,
    sub: Subscriber,
    reply: _Replies,
) -> None:
    try:
        while True:
            frame = await websocket.receive()
            if frame["type"] == "websocket.disconnect":
                break
            text = frame.get("text")
            if text is None:  # a binary frame: answered, like any message it cannot take
                await reply("error", {"detail": "binary frames are not taken: send JSON text"})
                continue
            try:
                message = json.loads(text)
            except ValueError:
                await reply("error", {"detail": "not JSON"})
                continue
            if not isinstance(message, dict) or message.get("type") != "command":
                await reply("error", {"detail": 'expected {"type": "command", ...}'})
                continue
            if len(reply.commands) >= MAX_PENDING_COMMANDS:
                await reply("command_result", _result(message, 429, "too many pending commands"))
                continue
            task = asyncio.create_task(_command(runtime, principal, message, reply))
            reply.commands.add(task)
            task.add_done_callback(reply.commands.discard)
    except (WebSocketDisconnect, RuntimeError):
        pass
    # Whatever ends the reading (the client left, or anything unforeseen), the stream ends with it:
    # a stream nobody reads from must not keep its slot.
    runtime.hub.close(sub, "disconnect")


def _result(message: dict[str, Any], status: int, detail: str) -> dict[str, Any]:
    cid = message.get("cid")
    return {"cid": cid if isinstance(cid, str) else None, "status": status, "detail": detail}


async def _command(
    runtime: Runtime, principal: Principal, message: dict[str, Any], reply: Any
) -> None:
    if not principal.role.allows(Role.OPERATOR):
        await reply("command_result", _result(message, 403, "this needs the operator role"))
        return
    device, actuator = message.get("device"), message.get("actuator")
    value, cid = message.get("value"), message.get("cid")
    if not isinstance(device, str) or not isinstance(actuator, str):
        await reply("command_result", _result(message, 422, "device and actuator are strings"))
        return
    if not isinstance(value, bool | int | float | str) or (
        isinstance(value, float) and not math.isfinite(value)
    ):
        await reply("command_result", _result(message, 422, "value is a switch word or a number"))
        return
    if cid is not None and (not isinstance(cid, str) or not 0 < len(cid) <= 128):
        await reply("command_result", _result(message, 422, "cid is a string of 1..128"))
        return
    wait = runtime.limiter.allow(principal.key)
    if wait > 0:
        runtime.refuse("rate_limit")
        await reply("command_result", _result(message, 429, f"rate limit; retry in {wait:.1f}s"))
        return
    try:
        ack = await runtime.commands.send(device, actuator, value, cid)
    except CommandError as exc:
        await reply("command_result", _result(message, exc.status, exc.detail))
        return
    await reply("command_result", {"cid": ack["cid"], "status": 200, "ack": ack})
