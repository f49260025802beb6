"""pigw's uvicorn set-up: request limits while parsing (414/431/413, never 5xx), cookie-carried
streams, tokens kept out of logs."""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from gateway.auth import create_token
from tests.gateway.support import Gateway, SseClient

pytestmark = pytest.mark.integration
StartGateway = Callable[..., Gateway]


def raw(port: int, request: bytes) -> bytes:
    """Send ``request`` as it is; return the status line of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        # Refused before we finished sending? The answer is what counts.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0]


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /api/devices?q=" + b"a" * 9_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"414"),
        (b"GET /?" + b"a" * 5_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"414"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 40_000 + b"\r\n\r\n", b"431"),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(10_000))
            + b"\r\n",
            b"431",
        ),
        (
            b"GET /api/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"X-Big: " + b"b" * 40_000 + b"\r\n\r\n",
            b"431",
        ),
        (b"POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", b"413"),
    ],
    ids=["url", "huge-url", "header", "many-headers", "websocket-header", "body"],
)
def test_oversized_requests_get_their_4xx_from_the_real_server(
    start_gateway: StartGateway, request_bytes: bytes, status: bytes
) -> None:
    gateway = start_gateway(ready=False)
    assert raw(gateway.port, request_bytes) == b"HTTP/1.1 " + status + b" " + {
        b"414": b"URI Too Long", b"431": b"Request Header Fields Too Large",
        b"413": b"Request Entity Too Large",
    }[status]  # fmt: skip
    assert gateway.get("/healthz").status_code == 200
    assert "Traceback" not in gateway.process.output()


def test_a_browser_session_cookie_carries_the_event_stream(
    start_gateway: StartGateway, tmp_path: Path
) -> None:
    tokens = tmp_path / "tokens"
    token = create_token(tokens, "browser", "viewer")
    gateway = start_gateway("--tokens-file", str(tokens))
    assert httpx.get(gateway.url + "/api/events", timeout=10).status_code == 401
    login = httpx.post(gateway.url + "/api/session", json={"token": token}, timeout=10)
    cookie = login.cookies["pigw_session"]
    client = SseClient(gateway.url + "/api/events", {"Cookie": f"pigw_session={cookie}"}).start()
    try:
        assert client.status == 200
        client.wait_count("snapshot", 1)
    finally:
        client.close()
    log = gateway.process.output()
    assert "GET /api/events" in log  # the access log is on ...
    assert token not in log  # ... and never shows a token


def test_uvicorn_logs_go_through_pigw_logging_as_json(start_gateway: StartGateway) -> None:
    gateway = start_gateway("--log-format", "json")
    gateway.get("/healthz")
    lines = [line for line in gateway.process.output().splitlines() if "/healthz" in line]
    assert lines and all(line.startswith("{") for line in lines)


def test_the_stream_answers_cors_only_for_allowed_origins(start_gateway: StartGateway) -> None:
    gateway = start_gateway("--cors-origin", "https://ui.example")
    allowed = SseClient(gateway.url + "/api/events", {"Origin": "https://ui.example"}).start()
    other = SseClient(gateway.url + "/api/events", {"Origin": "https://evil.example"}).start()
    try:
        assert allowed.headers_seen.get("access-control-allow-origin") == "https://ui.example"
        assert allowed.headers_seen.get("access-control-allow-credentials") == "true"
        assert "access-control-allow-origin" not in other.headers_seen
    finally:
        allowed.close()
        other.close()
    refused = httpx.get(gateway.url + "/api/events?device=NOT-AN-ID", timeout=10)
    assert refused.status_code == 422 and refused.json()["detail"]


def test_pipelined_requests_on_one_connection_are_answered_in_order(
    start_gateway: StartGateway,
) -> None:
    # pigw's server subclasses uvicorn's protocol (gateway/server.py, LimitedHttpToolsProtocol):
    # two requests sent in one write still get two answers, in order.
    gateway = start_gateway(ready=False)
    request = (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/nothing HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=20) as sock:
        sock.sendall(request)
        data = b""
        while data.count(b"HTTP/1.1 ") < 2 or not data.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", data) == [b"200", b"404"]
