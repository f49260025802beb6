"""REST routes in-process (httpx ASGITransport; state injected through the intake): every route
without a token, with a wrong one and with each role; session cookies; commands' refusals; CORS;
request limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from gateway.api.dashboard import install_dashboard
from gateway.app import create_app
from gateway.auth import create_token
from gateway.runtime import Runtime
from gateway.settings import GatewaySettings
from pigw.contract import OFFLINE, ONLINE, Topics, encode_model
from tests.gateway.support import meta, state
from tests.support.ports import free_port

T = Topics()


@dataclass
class Tokens:
    path: Path
    viewer: str
    operator: str


@pytest.fixture
def tokens(tmp_path: Path) -> Tokens:
    path = tmp_path / "tokens"
    return Tokens(
        path, create_token(path, "viewer", "viewer"), create_token(path, "op", "operator")
    )


def settings(**overrides: object) -> GatewaySettings:
    # A broker port nobody listens on: the bridge keeps retrying in the background.
    return GatewaySettings(mqtt_url=f"mqtt://127.0.0.1:{free_port()}", **overrides)  # type: ignore[arg-type]


@pytest.fixture
async def app_factory() -> AsyncIterator[object]:
    stacks: list[object] = []

    async def make(**overrides: object) -> tuple[FastAPI, httpx.AsyncClient, Runtime]:
        base = str(overrides.pop("_base", "http://127.0.0.1:8000"))
        app = create_app(settings(**overrides))
        context = app.router.lifespan_context(app)
        await context.__aenter__()
        stacks.append(context)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base)
        runtime: Runtime = app.state.runtime
        feed(runtime)
        return app, client, runtime

    yield make
    for context in reversed(stacks):
        await context.__aexit__(None, None, None)  # type: ignore[attr-defined]


def feed(runtime: Runtime) -> None:
    handle = runtime.intake.handle
    handle(T.meta("d1"), encode_model(meta("d1")), True)
    handle(T.status("d1"), ONLINE, True)
    handle(T.state("d1", "t"), state(1, 20.0), True)
    handle(T.meta("d2"), encode_model(meta("d2")), True)
    handle(T.status("d2"), OFFLINE, True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


READS = [
    "/api/devices",
    "/api/devices/d1",
    "/api/devices/d1/sensors/t/history",
    "/api/session",
    "/metrics",
]
OPEN = ["/healthz", "/", "/docs", "/openapi.json"]
COMMAND = "/api/devices/d1/actuators/relay1"


async def test_every_route_without_a_token_with_a_wrong_one_and_with_each_role(
    app_factory,
    tokens: Tokens,  # type: ignore[no-untyped-def]
) -> None:
    _, client, _ = await app_factory(tokens_file=tokens.path)
    for path in READS:
        assert (await client.get(path)).status_code == 401, path
        response = await client.get(path, headers=bearer("pigw_wrong"))
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
        assert (await client.get(path, headers={"Authorization": "Basic eDp5"})).status_code == 401
        assert (await client.get(path, headers=bearer(tokens.viewer))).status_code == 200, path
        assert (await client.get(path, headers=bearer(tokens.operator))).status_code == 200, path
    assert (await client.get("/api/events")).status_code == 401
    assert (await client.get("/api/events", headers=bearer("pigw_wrong"))).status_code == 401
    body = {"value": "ON"}
    assert (await client.post(COMMAND, json=body)).status_code == 401
    assert (await client.post(COMMAND, json=body, headers=bearer("x"))).status_code == 401
    assert (await client.post(COMMAND, json=body, headers=bearer(tokens.viewer))).status_code == 403
    # The operator passes auth; with no broker the command cannot be sent.
    response = await client.post(COMMAND, json=body, headers=bearer(tokens.operator))
    assert response.status_code == 503
    for path in OPEN:
        assert (await client.get(path)).status_code == 200, path
    assert (await client.get("/readyz")).status_code == 503  # no broker: not ready, but open


async def test_without_a_tokens_file_everybody_is_an_operator(app_factory) -> None:  # type: ignore[no-untyped-def]
    _, client, _ = await app_factory()
    assert (await client.get("/api/devices")).status_code == 200
    who = (await client.get("/api/session")).json()
    assert who == {"name": None, "role": "operator", "auth": "open"}
    assert (await client.post(COMMAND, json={"value": "ON"})).status_code == 503


async def test_log_in_sets_an_httponly_samesite_strict_cookie_that_authenticates(
    app_factory,
    tokens: Tokens,  # type: ignore[no-untyped-def]
) -> None:
    _, client, _ = await app_factory(tokens_file=tokens.path)
    refused = await client.post("/api/session", json={"token": "pigw_wrong"})
    assert refused.status_code == 401 and "set-cookie" not in refused.headers
    response = await client.post("/api/session", json={"token": tokens.viewer})
    assert response.status_code == 200
    assert response.json() == {"name": "viewer", "role": "viewer", "auth": "token"}
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    assert tokens.viewer not in str(response.request.url)
    assert (await client.get("/api/devices")).status_code == 200  # the cookie jar carries it
    assert (await client.post(COMMAND, json={"value": "ON"})).status_code == 403
    out = await client.delete("/api/session")
    assert out.status_code == 204 and "Max-Age=0" in out.headers["set-cookie"]
    assert (await client.get("/api/devices")).status_code == 401


async def test_the_cookie_is_secure_over_https(app_factory, tokens: Tokens) -> None:  # type: ignore[no-untyped-def]
    _, client, _ = await app_factory(tokens_file=tokens.path, _base="https://gw.example")
    response = await client.post("/api/session", json={"token": tokens.operator})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-pigw_session=")
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    assert (await client.get("/api/devices")).status_code == 200


async def test_the_session_cookie_no_longer_holds_the_token(  # type: ignore[no-untyped-def]
    app_factory, tokens: Tokens
) -> None:
    # Issue 17 (7): the cookie was the token itself.
    _, client, runtime = await app_factory(tokens_file=tokens.path)
    response = await client.post("/api/session", json={"token": tokens.viewer})
    session_id = client.cookies["pigw_session"]
    assert tokens.viewer not in response.headers["set-cookie"] and len(session_id) >= 40
    assert len(runtime.sessions) == 1
    # A second log-in replaces the first session rather than piling up.
    await client.post("/api/session", json={"token": tokens.viewer})
    assert len(runtime.sessions) == 1 and client.cookies["pigw_session"] != session_id


async def test_logging_out_ends_the_session_on_the_server_so_an_old_cookie_gets_401(  # type: ignore[no-untyped-def]
    app_factory, tokens: Tokens
) -> None:
    # Before: DELETE only asked the browser to forget the cookie; a copy kept working.
    _, client, runtime = await app_factory(tokens_file=tokens.path)
    await client.post("/api/session", json={"token": tokens.operator})
    copy = {"Cookie": f"pigw_session={client.cookies['pigw_session']}"}
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://127.0.0.1:8000"
    ) as other:
        assert (await other.get("/api/devices", headers=copy)).status_code == 200
        assert (await client.delete("/api/session")).status_code == 204
        assert (await other.get("/api/devices", headers=copy)).status_code == 401
    assert len(runtime.sessions) == 0 and runtime.sessions.stats.ended == 1


async def test_removing_a_token_ends_its_sessions_on_the_server(  # type: ignore[no-untyped-def]
    app_factory, tokens: Tokens
) -> None:
    _, client, runtime = await app_factory(tokens_file=tokens.path)
    await client.post("/api/session", json={"token": tokens.operator})
    assert (await client.get("/api/devices")).status_code == 200
    text = tokens.path.read_text()
    tokens.path.write_text(
        "\n".join(line for line in text.splitlines() if not line.startswith("op "))
    )
    runtime.housekeeping.reload_tokens()  # what the housekeeping tick does every --tokens-reload seconds
    assert (await client.get("/api/devices")).status_code == 401
    # The reload ended the session on the server.
    assert len(runtime.sessions) == 0 and runtime.sessions.stats.revoked == 1


async def test_the_session_table_is_bounded(app_factory, tokens: Tokens) -> None:  # type: ignore[no-untyped-def]
    _, client, runtime = await app_factory(tokens_file=tokens.path, max_sessions=3)
    for _ in range(5):
        client.cookies.clear()
        await client.post("/api/session", json={"token": tokens.viewer})
    assert len(runtime.sessions) == 3 and runtime.sessions.stats.evicted == 2
    assert (await client.get("/api/devices")).status_code == 200  # the newest still works
    text = (await client.get("/metrics")).text
    assert "pigw_gateway_sessions 3.0" in text


async def test_devices_and_history(app_factory) -> None:  # type: ignore[no-untyped-def]
    _, client, runtime = await app_factory()
    for seq in range(2, 6):
        runtime.intake.handle(T.state("d1", "t"), state(seq, float(seq)), False)
    devices = (await client.get("/api/devices")).json()["devices"]
    assert [d["id"] for d in devices] == ["d1", "d2"]
    d1 = (await client.get("/api/devices/d1")).json()
    assert d1 == devices[0]
    assert d1["sensors"]["t"]["value"] == 5.0 and d1["online"] is True
    assert (await client.get("/api/devices/nope")).status_code == 404
    history = (await client.get("/api/devices/d1/sensors/t/history?limit=2")).json()
    # v2's keys keep their meaning; v3 adds unit, from, to, step and truncated (CONTRACT.md v3)
    assert history.pop("step") == "raw" and history.pop("truncated") is True
    assert {history.pop("unit"), history.pop("from")} == {"°C", "1970-01-01T00:00:00.000Z"}
    history.pop("to")
    assert history == {
        "device": "d1", "sensor": "t",
        "readings": [
            {"value": 4.0, "ts": "2026-11-18T11:06:44.000Z", "seq": 4},
            {"value": 5.0, "ts": "2026-11-18T11:06:45.000Z", "seq": 5},
        ],
    }  # fmt: skip
    since = await client.get("/api/devices/d1/sensors/t/history?since=2026-11-18T11:06:45Z")
    assert [r["seq"] for r in since.json()["readings"]] == [5]
    assert (await client.get("/api/devices/d1/sensors/nope/history")).status_code == 404
    assert (
        await client.get("/api/devices/d1/sensors/t/history?since=yesterday")
    ).status_code == 400  # v3: every bad parameter is a 400 naming it


@pytest.mark.parametrize(
    ("path", "value", "status"),
    [
        ("/api/devices/nope/actuators/relay1", "ON", 404),
        ("/api/devices/d1/actuators/nope", "ON", 404),
        ("/api/devices/d2/actuators/relay1", "ON", 409),
        ("/api/devices/d1/actuators/relay1", "maybe", 422),
        ("/api/devices/d1/actuators/pwm1", 1.5, 422),
        ("/api/devices/d1/actuators/relay1", {"nested": 1}, 422),
    ],
)
async def test_commands_are_refused_with_the_contract_status(
    app_factory,
    path: str,
    value: object,
    status: int,  # type: ignore[no-untyped-def]
) -> None:
    _, client, _ = await app_factory()
    response = await client.post(path, json={"value": value})
    assert response.status_code == status
    assert response.json()["detail"]


async def test_commands_are_rate_limited_per_token(app_factory, tokens: Tokens) -> None:  # type: ignore[no-untyped-def]
    _, client, runtime = await app_factory(
        tokens_file=tokens.path, command_burst=2, command_rate=0.1
    )
    codes = [
        (
            await client.post(COMMAND, json={"value": "ON"}, headers=bearer(tokens.operator))
        ).status_code
        for _ in range(3)
    ]
    assert codes == [503, 503, 429]
    limited = await client.post(COMMAND, json={"value": "ON"}, headers=bearer(tokens.operator))
    assert int(limited.headers["retry-after"]) >= 1
    assert runtime.refusals.counts["rate_limit"] == 2


async def test_cors_is_closed_by_default(app_factory) -> None:  # type: ignore[no-untyped-def]
    _, client, _ = await app_factory()
    preflight = await client.options(
        "/api/devices",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    simple = await client.get("/api/devices", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


async def test_cors_allows_exactly_the_given_origins(app_factory) -> None:  # type: ignore[no-untyped-def]
    _, client, _ = await app_factory(cors_origin=["https://ui.example"])
    ok = await client.get("/api/devices", headers={"Origin": "https://ui.example"})
    assert ok.headers["access-control-allow-origin"] == "https://ui.example"
    assert ok.headers["access-control-allow-credentials"] == "true"
    other = await client.get("/api/devices", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


async def test_oversized_requests_get_4xx(app_factory) -> None:  # type: ignore[no-untyped-def]
    _, client, runtime = await app_factory()
    big = b"x" * (1024 * 1024 + 1)
    assert (await client.post("/api/session", content=big)).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"y" * 100_000

    streamed = await client.post("/api/session", content=chunks())
    assert streamed.status_code == 413
    assert (await client.get("/api/devices?x=" + "a" * 9000)).status_code == 414
    assert (await client.get("/api/devices", headers={"x-big": "b" * 40_000})).status_code == 431
    assert runtime.refusals.counts == {"body": 2, "url": 1, "headers": 1}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/api/session", "GET, POST, DELETE"),
        ("PUT", "/api/devices", "GET"),
        ("GET", "/api/devices/d1/actuators/relay1", "POST"),
    ],
)
async def test_a_405_names_every_method_the_path_takes(  # type: ignore[no-untyped-def]
    app_factory, method: str, path: str, allow: str, tmp_path: Path
) -> None:
    # /api/session is three routes; Starlette alone names only the first one's method. And the
    # dashboard's files must not answer for an API path called with the wrong method.
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>pigw dashboard</title>")
    app, client, _ = await app_factory()
    install_dashboard(app, tmp_path)
    response = await client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json() == {"detail": "Method Not Allowed"}


async def test_a_body_that_is_not_json_is_a_documented_400(app_factory) -> None:  # type: ignore[no-untyped-def]
    # Bytes json.loads cannot even decode (a UTF-16 BOM, then half a character): FastAPI answers
    # 400, not the 422 of a decodable body that is not JSON.
    app, client, _ = await app_factory()
    response = await client.post(
        "/api/session", content=b"\xfe\xff\x00", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["detail"]
    assert "400" in app.openapi()["paths"]["/api/session"]["post"]["responses"]


async def test_metrics_carry_the_domain_counters(app_factory) -> None:  # type: ignore[no-untyped-def]
    _, client, runtime = await app_factory()
    runtime.intake.handle(T.state("d1", "t"), b"junk", False)
    text = (await client.get("/metrics")).text
    assert 'pigw_gateway_mqtt_rejected_total{reason="bad_json"} 1.0' in text
    assert 'pigw_gateway_mqtt_messages_total{type="meta"} 2.0' in text
    assert "pigw_gateway_broker_connected 0.0" in text
    assert 'pigw_gateway_subscribers{transport="sse"} 0.0' in text
    assert "pigw_gateway_asyncio_tasks " in text
    assert "http_requests_total" in text or "http_request_duration" in text


async def test_the_dashboard_page_says_how_to_build_it_when_missing(tmp_path: Path) -> None:
    # The real gateway/web/dist exists once `make web` ran (as `make test` does), so the missing
    # build is a folder of the test's own.
    app = FastAPI()
    install_dashboard(app, tmp_path / "dist")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as client:
        page = await client.get("/")
    assert page.status_code == 200 and "make web" in page.text


async def test_the_dashboard_build_is_served_at_the_root(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>pigw dashboard</title>")
    (dist / "assets" / "app.js").write_text("console.log('pigw')")
    (dist / "favicon.svg").write_text("<svg/>")
    app = FastAPI()
    install_dashboard(app, dist)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as client:
        assert "pigw dashboard" in (await client.get("/")).text
        assert (await client.get("/assets/app.js")).text == "console.log('pigw')"
        assert (await client.get("/favicon.svg")).text == "<svg/>"
        assert "pigw dashboard" in (await client.get("/index.html")).text
        assert (await client.get("/nothing.html")).status_code == 404


SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def assert_secured(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8000", "192.168.1.20:8000", "127.0.0.1.evil.example"]
)
async def test_a_dns_rebinding_page_gets_421_in_open_mode(app_factory, host: str) -> None:  # type: ignore[no-untyped-def]
    # Issue 17 (3): nothing checked Host, so a page whose name was re-pointed at 127.0.0.1 could
    # read and command an open gateway through the visitor's browser.
    _, client, runtime = await app_factory()
    response = await client.post(COMMAND, json={"value": "ON"}, headers={"Host": host})
    assert response.status_code == 421 and "allowed-host" in response.json()["detail"]
    assert_secured(response)
    assert runtime.refusals.counts["host"] == 1


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8000", "127.0.0.1", "127.0.0.5:1", "[::1]:8000"]
)
async def test_loopback_hosts_are_answered_in_open_mode(app_factory, host: str) -> None:  # type: ignore[no-untyped-def]
    _, client, _ = await app_factory()
    assert (await client.get("/api/devices", headers={"Host": host})).status_code == 200


async def test_allowed_hosts_are_answered_and_turn_the_check_on_in_token_mode(  # type: ignore[no-untyped-def]
    app_factory, tokens: Tokens
) -> None:
    _, open_client, _ = await app_factory(allowed_host=["pigw.lan"])
    assert (
        await open_client.get("/api/devices", headers={"Host": "PIGW.lan:8000"})
    ).status_code == 200
    _, token_client, _ = await app_factory(tokens_file=tokens.path)
    anywhere = {"Host": "pigw.example.org", **bearer(tokens.viewer)}
    assert (await token_client.get("/api/devices", headers=anywhere)).status_code == 200
    _, checked, _ = await app_factory(tokens_file=tokens.path, allowed_host=["pigw.example.org"])
    assert (await checked.get("/api/devices", headers=anywhere)).status_code == 200
    other = {"Host": "evil.example", **bearer(tokens.viewer)}
    assert (await checked.get("/api/devices", headers=other)).status_code == 421


def test_a_bad_allowed_host_stops_start_up_naming_the_key() -> None:
    with pytest.raises(ValueError, match="allowed_host"):
        settings(allowed_host=["https://pigw.lan/"])


async def test_every_answer_carries_the_security_headers(app_factory, tokens: Tokens) -> None:  # type: ignore[no-untyped-def]
    # Issue 17 (3): no response said X-Frame-Options or a CSP: the dashboard could be framed.
    _, client, _ = await app_factory(tokens_file=tokens.path)
    answers = [
        await client.get("/healthz"),
        await client.get("/api/devices"),  # 401
        await client.get("/api/devices/nope", headers=bearer(tokens.viewer)),  # 404
        await client.post("/api/session", content=b"x" * (2 * 1024 * 1024)),  # 413 (limits)
        await client.request("PUT", "/api/session"),  # 405
        await client.get("/"),
        await client.get("/docs"),
        await client.get("/openapi.json"),
    ]
    assert [a.status_code for a in answers] == [200, 401, 404, 413, 405, 200, 200, 200]
    for answer in answers:
        assert_secured(answer)
    dashboard_csp = answers[5].headers["content-security-policy"]
    assert "script-src 'self'" in dashboard_csp and "connect-src 'self'" in dashboard_csp
