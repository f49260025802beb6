"""The alerts' routes in-process (httpx ASGITransport; state fed through the intake): roles,
answers, and what the snapshot carries."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.auth import create_token
from gateway.hub import Transport
from gateway.runtime import Runtime
from gateway.settings import GatewaySettings
from pigw.contract import Topics, encode_model
from tests.gateway.support import meta, state
from tests.support.ports import free_port

T = Topics()
RULES = """
[[rules]]
id = "quiet"
device = "*"
when = "offline"

[[rules]]
id = "hot"
device = "d1"
point = "t"
when = "above"
threshold = 30
for = 3600
"""


@pytest.fixture
async def gateway(
    tmp_path: Path,
) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime, dict[str, str]]]:
    tokens_path = tmp_path / "tokens"
    viewer = create_token(tokens_path, "viewer", "viewer")
    operator = create_token(tokens_path, "alice", "operator")
    rules = tmp_path / "alerts.toml"
    rules.write_text(RULES)
    settings = GatewaySettings(
        mqtt_url=f"mqtt://127.0.0.1:{free_port()}",  # nobody listens: no broker needed here
        tokens_file=tokens_path,
        alerts_file=rules,
        history_url="none",
    )
    app = create_app(settings)
    context = app.router.lifespan_context(app)
    await context.__aenter__()
    try:
        runtime: Runtime = app.state.runtime
        handle = runtime.intake.handle
        handle(T.meta("d1"), encode_model(meta("d1")), True)
        handle(T.status("d1"), b"offline", False)  # fires `quiet` (for = 0)
        handle(T.state("d1", "t"), state(1, 35.0), False)  # `hot` pending for an hour
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
        ) as client:
            yield client, runtime, {"viewer": viewer, "operator": operator}
    finally:
        await context.__aexit__(None, None, None)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_get_alerts_needs_a_viewer_and_lists_active_and_recent(gateway: Any) -> None:
    client, runtime, tokens = gateway
    assert (await client.get("/api/alerts")).status_code == 401
    await runtime.alerting.idle()
    answer = await client.get("/api/alerts", headers=bearer(tokens["viewer"]))
    assert answer.status_code == 200
    body = answer.json()
    assert [(a["rule"], a["state"]) for a in body["active"]] == [
        ("quiet", "firing"),
        ("hot", "pending"),
    ]
    assert [(a["rule"], a["state"]) for a in body["recent"]] == [("quiet", "firing")]
    limited = await client.get("/api/alerts?limit=0", headers=bearer(tokens["viewer"]))
    assert limited.status_code == 422


async def test_ack_needs_an_operator_and_a_firing_alert(gateway: Any) -> None:
    client, runtime, tokens = gateway
    path = "/api/alerts/quiet/d1/ack"
    assert (await client.post(path)).status_code == 401
    assert (await client.post(path, headers=bearer(tokens["viewer"]))).status_code == 403
    acked = await client.post(path, headers=bearer(tokens["operator"]))
    assert acked.status_code == 200
    assert (acked.json()["state"], acked.json()["acknowledged_by"]) == ("firing", "alice")
    pending = await client.post("/api/alerts/hot/d1/t/ack", headers=bearer(tokens["operator"]))
    assert pending.status_code == 409 and "pending" in pending.json()["detail"]
    unknown = await client.post("/api/alerts/hot/d2/t/ack", headers=bearer(tokens["operator"]))
    assert unknown.status_code == 404
    # The acknowledgement is on the stream too (the hub's ring) and in the next snapshot.
    alerts = [json.loads(e.data_json) for e in runtime.hub.ring.since(0, 1000) if e.type == "alert"]
    assert alerts[-1]["acknowledged_by"] == "alice"
    subscriber = runtime.hub.subscribe(Transport.WS)
    snapshot = json.loads(runtime.hub.take_ws(subscriber)[0])
    assert snapshot["type"] == "snapshot"
    assert {a["rule"]: a["acknowledged_by"] for a in snapshot["data"]["alerts"]} == {
        "quiet": "alice",
        "hot": None,
    }
