"""``deploy/nginx/pigw.conf`` run by a real nginx in front of a streaming server: TLS terminated,
events arrive one by one (not when a buffer fills), WebSockets upgrade, forwarding headers arrive.

Only what cannot run here is rewritten: the listen ports (to free loopback ports, IPv6 lines
dropped), the upstream port and the certificate paths (to certificates made by
``deploy/tls/make-certs.sh``). The server block itself is included unchanged into a minimal
nginx.conf, as Debian's nginx.conf includes sites-enabled/.
"""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect as websocket_connect

from tests.support.nginx import start_nginx
from tests.support.ports import free_port, wait_for_port
from tests.support.processes import REPO, ManagedProcess

pytestmark = pytest.mark.integration
SITE = REPO / "deploy" / "nginx" / "pigw.conf"
MAKE_CERTS = REPO / "deploy" / "tls" / "make-certs.sh"
# A deadline for each read: an event that is stuck in a proxy buffer never arrives within it.
READ_DEADLINE = 20.0


def render_site(site: Path, http_port: int, https_port: int, upstream: int, pki: Path) -> str:
    text = site.read_text(encoding="utf-8")
    for old, new in {
        "    listen [::]:80;\n": "",
        "    listen [::]:443 ssl http2;\n": "",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream};",
        "/etc/letsencrypt/live/pigw.example.org/fullchain.pem": str(pki / "server.crt"),
        "/etc/letsencrypt/live/pigw.example.org/privkey.pem": str(pki / "server.key"),
    }.items():
        assert text.count(old) == 1, f"{site.name} should contain {old!r} exactly once"
        text = text.replace(old, new)
    return text


@dataclass(frozen=True)
class Proxy:
    https_port: int
    http_port: int
    tls: ssl.SSLContext

    @property
    def base(self) -> str:
        return f"https://localhost:{self.https_port}"


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Proxy]:
    pki = tmp_path / "pki"
    subprocess.run(
        [MAKE_CERTS, pki, "--server", "localhost"], check=True, capture_output=True, timeout=60
    )
    upstream = free_port()
    backend = ManagedProcess(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.deploy.streaming_app:app",
            "--port",
            str(upstream),
        ],
        tmp_path / "backend.log",
    ).start()
    http_port, https_port = free_port(), free_port()
    site = tmp_path / "pigw.conf"
    site.write_text(render_site(SITE, http_port, https_port, upstream, pki), encoding="utf-8")
    nginx = start_nginx(tmp_path, f"    include {site};")
    try:
        wait_for_port(upstream, 30)
        wait_for_port(https_port, 30)
        yield Proxy(https_port, http_port, ssl.create_default_context(cafile=str(pki / "ca.crt")))
    finally:
        nginx.stop()
        backend.stop()


def read_event(lines: Iterator[str]) -> list[str]:
    """The lines of the next event (up to the blank line that ends it)."""
    event: list[str] = []
    for line in lines:
        if line == "" and event:
            return event
        if line:
            event.append(line)
    raise AssertionError(f"the stream ended inside an event: {event}")


def test_events_pass_the_proxy_one_by_one(proxy: Proxy) -> None:
    timeout = httpx.Timeout(10.0, read=READ_DEADLINE)
    with (
        httpx.Client(verify=proxy.tls, timeout=timeout) as client,
        client.stream("GET", f"{proxy.base}/api/events") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert read_event(lines) == ["retry: 1000"]
        # The backend holds event 2 back until released: event 1 can only be here unbuffered.
        assert read_event(lines) == ["id: 1", "event: reading", 'data: {"n": 1}']
        assert client.post(f"{proxy.base}/release").text == "released"
        assert read_event(lines) == ["id: 2", "event: reading", 'data: {"n": 2}']


def test_websocket_upgrades_through_the_proxy(proxy: Proxy) -> None:
    uri = f"wss://localhost:{proxy.https_port}/api/ws"
    with websocket_connect(uri, ssl=proxy.tls, open_timeout=READ_DEADLINE) as websocket:
        websocket.send("hello")
        assert websocket.recv(timeout=READ_DEADLINE) == "echo: hello"


def test_the_gateway_learns_the_original_host_scheme_and_client(proxy: Proxy) -> None:
    with httpx.Client(verify=proxy.tls, timeout=READ_DEADLINE) as client:
        seen = client.get(f"{proxy.base}/headers").json()
    assert seen["host"] == "localhost"  # $host: the name, without the port
    assert seen["x-forwarded-proto"] == "https"
    assert seen["x-forwarded-for"] == "127.0.0.1"
    # Plain requests do not ask the upstream for an upgrade (so nginx can reuse its connections).
    assert "upgrade" not in seen
    assert seen.get("connection", "") != "upgrade"


def test_plain_http_is_redirected_to_https(proxy: Proxy) -> None:
    with httpx.Client(timeout=READ_DEADLINE) as client:
        response = client.get(f"http://localhost:{proxy.http_port}/api/devices?x=1")
    assert response.status_code == 301
    assert response.headers["location"] == "https://localhost/api/devices?x=1"


def test_a_body_over_the_gateway_limit_is_refused_by_the_proxy_too(proxy: Proxy) -> None:
    with httpx.Client(verify=proxy.tls, timeout=READ_DEADLINE) as client:
        response = client.post(f"{proxy.base}/release", content=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413


def test_headers_up_to_the_gateways_limit_reach_the_gateway(proxy: Proxy) -> None:
    # The gateway answers 431 beyond a 32 KiB header block; nginx must not refuse earlier (its
    # default is 8 KiB per line, answered with 400).
    big = "x" * (16 * 1024)
    with httpx.Client(verify=proxy.tls, timeout=READ_DEADLINE) as client:
        response = client.get(f"{proxy.base}/headers", headers={"X-Big": big})
    assert response.status_code == 200
    assert response.json()["x-big"] == big
