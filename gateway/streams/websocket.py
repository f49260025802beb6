"""The WebSocket stream: the same events as JSON ``{"id", "type", "data"}`` messages, and commands.

A client sends ``{"type": "command", "device", "actuator", "value", "cid"?}``; the gateway answers
with ``{"id": null, "type": "command_result", "data": {"cid", "status", "ack"?, "detail"?}}``
(``status`` as the REST route's HTTP status) and, as for every command, the ``ack`` event reaches
the streams. Other messages get ``{"type": "error", "data": {"detail"}}``. Behaviour:
``docs/events.md``; tasks and how they end: ``docs/streams.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from typing import Any, Final

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from gateway.auth import TokenRole
from gateway.core.commands import CommandError
from gateway.hub import Hub, Subscriber, Transport
from gateway.hub.encoding import dumps
from gateway.hub.slots import REVOKED
from gateway.runtime import Runtime
from gateway.streams.admission import Admission, Refused
from gateway.streams.hooks import abortable

#: Commands one WebSocket may have waiting for their acks at once.
MAX_PENDING_COMMANDS: Final = 8


async def deny(websocket: WebSocket, refused: Refused) -> None:
    """Refuse the handshake: an HTTP answer where the server can send one, else close 1008."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(
            JSONResponse(
                {"detail": refused.detail}, status_code=refused.status, headers=refused.headers
            )
        )
    else:
        await websocket.close(code=1008, reason=refused.detail[:120])


async def serve(websocket: WebSocket, runtime: Runtime, admission: Admission) -> None:
    """Accept and run one admitted WebSocket until it ends; gives the slot back."""
    try:
        await websocket.accept()
        if not runtime.hub.can_resume(admission.last_event_id):
            await runtime.readiness.wait_loaded(runtime.settings.snapshot_wait)
        sub = runtime.hub.subscribe(
            Transport.WS, admission.devices, admission.types, admission.last_event_id
        )
        admission.attach(sub, runtime.hub)
        await _run(websocket, runtime, admission, sub)
    finally:
        admission.release()


async def _run(
    websocket: WebSocket,
    runtime: Runtime,
    admission: Admission,
    sub: Subscriber,
) -> None:
    hub = runtime.hub
    sub.task = asyncio.current_task()
    sub.connection = abortable(websocket.scope)  # a stalled client is dropped, not cancelled
    lock = asyncio.Lock()
    commands: set[asyncio.Task[None]] = set()
    reader = asyncio.create_task(
        _read(websocket, runtime, admission, sub, _Replies(websocket, lock, commands))
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
        elif sub.closed == REVOKED:
            # Policy violation (RFC 6455 §7.4.1): the token was removed or its role changed, or
            # the browser logged out (issue 17).
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await websocket.close(code=1008, reason="the token is no longer valid")
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
    admission: Admission,
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
            task = asyncio.create_task(_command(runtime, admission, message, reply))
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
    runtime: Runtime, admission: Admission, message: dict[str, Any], reply: Any
) -> None:
    # The token as it is now, not as it was at the handshake (issue 17): a changed tokens file is
    # read first (one stat when it did not change), then the stream's credential is checked.
    runtime.housekeeping.reload_tokens()
    principal = admission.principal
    device, actuator = message.get("device"), message.get("actuator")
    value, cid = message.get("value"), message.get("cid")
    who = principal.name or "open"
    refusal = _refusal(admission, message)
    if refusal is not None:
        status, detail = refusal
        if status in (401, 403) and isinstance(device, str) and isinstance(actuator, str):
            runtime.commands.refused(
                device, actuator, value, principal=who, via="ws", why=f"{status}: {detail}"
            )
        await reply("command_result", _result(message, status, detail))
        return
    # Checked by _refusal (repeated for the type checker).
    assert isinstance(device, str) and isinstance(actuator, str)
    assert isinstance(value, bool | int | float | str)
    wait = runtime.limiter.allow(principal.key)
    if wait > 0:
        runtime.refusals.count("rate_limit")
        runtime.commands.refused(
            device, actuator, value, principal=who, via="ws", why="429: command rate limit"
        )
        await reply("command_result", _result(message, 429, f"rate limit; retry in {wait:.1f}s"))
        return
    try:
        ack = await runtime.commands.send(device, actuator, value, cid, principal=who, via="ws")
    except CommandError as exc:
        await reply("command_result", _result(message, exc.status, exc.detail))
        return
    await reply("command_result", {"cid": ack["cid"], "status": 200, "ack": ack})


def _refusal(admission: Admission, message: dict[str, Any]) -> tuple[int, str] | None:
    """Why a command is not sent (status, detail), or ``None``: the credential, the role, then
    the message's shape."""
    if not admission.still_valid():
        return 401, "the token is no longer valid"
    if not admission.principal.role.allows(TokenRole.OPERATOR):
        return 403, "this needs the operator role"
    device, actuator = message.get("device"), message.get("actuator")
    value, cid = message.get("value"), message.get("cid")
    if not isinstance(device, str) or not isinstance(actuator, str):
        return 422, "device and actuator are strings"
    if not isinstance(value, bool | int | float | str) or (
        isinstance(value, float) and not math.isfinite(value)
    ):
        return 422, "value is a switch word or a number"
    if cid is not None and (not isinstance(cid, str) or not 0 < len(cid) <= 128):
        return 422, "cid is a string of 1..128"
    return None
