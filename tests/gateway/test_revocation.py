"""Revocation reaches open streams (issue 17, item 1), with a real uvicorn gateway process.

Before: the WebSocket authenticated once and every later command reused that principal, and the
tokens file's reload never touched open streams: a revoked or downgraded operator kept commanding
over an open WebSocket, and SSE viewers kept reading, until a restart. Also the per-token stream cap
(item 8).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from gateway.auth import create_token
from tests.gateway.support import Gateway, SseClient
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
StartGateway = Callable[..., Gateway]
#: The reload period the tests run with: revocation must land within it (plus a tick).
RELOAD = 0.5


def drop_line(path: Path, name: str) -> None:
    lines = path.read_text().splitlines()
    path.write_text("".join(f"{line}\n" for line in lines if not line.startswith(f"{name} ")))


def set_role(path: Path, name: str, role: str) -> None:
    out = []
    for line in path.read_text().splitlines():
        if line.startswith(f"{name} "):
            fields = line.split()
            out.append(f"{fields[0]} {role} {fields[2]}")
        else:
            out.append(line)
    path.write_text("".join(f"{line}\n" for line in out))


def ws_url(gateway: Gateway) -> str:
    return gateway.url.replace("http://", "ws://") + "/api/ws"


def close_code(ws: ClientConnection, timeout: float) -> int | None:
    """Read until the server closes; its close code (``None`` if it did not within ``timeout``)."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ws.recv(timeout=max(0.01, deadline - time.monotonic()))
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else None
    except TimeoutError:
        return None
    return None


@pytest.fixture
def tokens(tmp_path: Path) -> Path:
    return tmp_path / "tokens"


def test_a_removed_token_loses_its_open_sse_stream_within_the_reload_period(
    start_gateway: StartGateway, tokens: Path
) -> None:
    viewer = create_token(tokens, "kiosk", "viewer")
    other = create_token(tokens, "wall", "viewer")
    gateway = start_gateway("--tokens-file", str(tokens), "--tokens-reload", str(RELOAD))
    revoked = SseClient(gateway.url + "/api/events", {"Authorization": f"Bearer {viewer}"}).start()
    kept = SseClient(gateway.url + "/api/events", {"Authorization": f"Bearer {other}"}).start()
    try:
        revoked.wait_count("snapshot", 1)
        kept.wait_count("snapshot", 1)
        drop_line(tokens, "kiosk")
        removed_at = time.monotonic()
        wait_until(lambda: revoked.ended, 10, "the revoked stream to end")
        assert time.monotonic() - removed_at < RELOAD + 3  # a reload period, a tick, slack
        assert not kept.ended  # the other token's stream goes on
        assert (
            httpx.get(
                gateway.url + "/api/devices", headers={"Authorization": f"Bearer {viewer}"}
            ).status_code
            == 401
        )
    finally:
        revoked.close()
        kept.close()


def test_a_downgraded_operator_loses_its_websocket_with_1008(
    start_gateway: StartGateway, tokens: Path
) -> None:
    operator = create_token(tokens, "ops", "operator")
    gateway = start_gateway("--tokens-file", str(tokens), "--tokens-reload", str(RELOAD))
    with connect(ws_url(gateway), additional_headers={"Authorization": f"Bearer {operator}"}) as ws:
        assert json.loads(ws.recv(timeout=20))["type"] == "snapshot"
        set_role(tokens, "ops", "viewer")
        assert close_code(ws, RELOAD + 5) == 1008
    viewer = {"Authorization": f"Bearer {operator}"}  # a viewer now: it may still read metrics
    assert gateway.metric("pigw_gateway_streams_revoked_total", viewer) == 1


def test_a_websocket_command_is_checked_against_the_token_as_it_is_now(
    start_gateway: StartGateway, tokens: Path
) -> None:
    # A long reload period: the command itself must notice that the token went.
    operator = create_token(tokens, "ops", "operator")
    gateway = start_gateway("--tokens-file", str(tokens), "--tokens-reload", "3600")
    with connect(ws_url(gateway), additional_headers={"Authorization": f"Bearer {operator}"}) as ws:
        assert json.loads(ws.recv(timeout=20))["type"] == "snapshot"
        command = {"type": "command", "device": "d1", "actuator": "relay1", "value": "ON"}
        ws.send(json.dumps({**command, "cid": "before"}))
        before = _result(ws, "before")
        assert before["status"] != 401  # allowed through auth (no such device: 404/409/503)
        drop_line(tokens, "ops")
        ws.send(json.dumps({**command, "cid": "after"}))
        try:
            after = _result(ws, "after")
        except ConnectionClosed as closed:  # the sweep closed it first: also refused
            assert closed.rcvd is not None and closed.rcvd.code == 1008
        else:
            assert after["status"] == 401, after
            assert close_code(ws, 5) == 1008


def _result(ws: ClientConnection, cid: str) -> dict[str, object]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        message = json.loads(ws.recv(timeout=20))
        if message["type"] == "command_result" and message["data"]["cid"] == cid:
            return message["data"]  # type: ignore[no-any-return]
    raise AssertionError(f"no command_result for {cid}")


def test_logging_out_ends_the_browsers_open_stream(
    start_gateway: StartGateway, tokens: Path
) -> None:
    token = create_token(tokens, "browser", "viewer")
    gateway = start_gateway("--tokens-file", str(tokens), "--tokens-reload", str(RELOAD))
    login = httpx.post(gateway.url + "/api/session", json={"token": token}, timeout=10)
    cookie = {"Cookie": f"pigw_session={login.cookies['pigw_session']}"}
    stream = SseClient(gateway.url + "/api/events", cookie).start()
    try:
        stream.wait_count("snapshot", 1)
        assert httpx.delete(gateway.url + "/api/session", headers=cookie).status_code == 204
        wait_until(lambda: stream.ended, 10, "the logged-out stream to end")
        assert httpx.get(gateway.url + "/api/session", headers=cookie).status_code == 401
    finally:
        stream.close()


def test_one_token_cannot_take_every_stream_slot(start_gateway: StartGateway, tokens: Path) -> None:
    # Issue 17 (8): one viewer token could open --max-streams streams and lock everybody out.
    greedy = create_token(tokens, "greedy", "viewer")
    other = create_token(tokens, "other", "viewer")
    gateway = start_gateway("--tokens-file", str(tokens), "--max-streams-per-token", "2")
    streams = [
        SseClient(gateway.url + "/api/events", {"Authorization": f"Bearer {greedy}"}).start()
        for _ in range(2)
    ]
    try:
        for stream in streams:
            stream.wait_count("snapshot", 1)
        third = httpx.get(
            gateway.url + "/api/events", headers={"Authorization": f"Bearer {greedy}"}, timeout=10
        )
        assert third.status_code == 503
        assert "--max-streams-per-token" in third.json()["detail"]
        assert third.headers["retry-after"]
        fine = SseClient(gateway.url + "/api/events", {"Authorization": f"Bearer {other}"}).start()
        try:
            fine.wait_count("snapshot", 1)
        finally:
            fine.close()
        refused = 'pigw_gateway_requests_refused_total{reason="max_streams_per_token"}'
        assert gateway.metric(refused, {"Authorization": f"Bearer {other}"}) == 1
    finally:
        for stream in streams:
            stream.close()
