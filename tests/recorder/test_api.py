"""The history routes in-process (httpx ASGITransport) over a real SQLite store: windows, tiers,
CSV, the device export, coverage, the audit log, every 400 and 404, and the ``none`` mode."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.auth import create_token
from gateway.recorder.records import PointRef, Reading, Tier, iso_ms
from gateway.runtime import Runtime
from gateway.settings import GatewaySettings
from pigw.contract import StateMessage, Topics, encode_model, encode_state, format_ts
from tests.gateway.support import meta
from tests.support.ports import free_port
from tests.support.waiting import async_wait_until

T = Topics()
#: An hour a day ago: inside every retention tier. Readings of d1 are at BASE + seq (seconds).
BASE = (int(time.time()) // 3600 - 24) * 3600
STAMP = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(BASE))
FROM, TO = format_ts(BASE), format_ts(BASE + 10_000)

App = Callable[..., Awaitable[tuple[httpx.AsyncClient, Runtime]]]


def state(seq: int, value: Any, at: float | None = None) -> bytes:
    ts = format_ts(BASE + seq if at is None else at)
    return encode_state(StateMessage(value=value, unit="°C", ts=ts, seq=seq, boot="b1"))


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    contexts: list[Any] = []

    async def make(**overrides: Any) -> tuple[httpx.AsyncClient, Runtime]:
        overrides.setdefault("history_url", f"sqlite:///{tmp_path / 'history.db'}")
        settings = GatewaySettings(mqtt_url=f"mqtt://127.0.0.1:{free_port()}", **overrides)
        application = create_app(settings)
        context = application.router.lifespan_context(application)
        await context.__aenter__()
        contexts.append(context)
        runtime: Runtime = application.state.runtime
        handle = runtime.intake.handle
        handle(T.meta("d1"), encode_model(meta("d1")), True)
        handle(T.status("d1"), b"online", True)
        transport = httpx.ASGITransport(app=application)
        return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1"), runtime

    yield make
    for context in reversed(contexts):
        await context.__aexit__(None, None, None)


async def feed(runtime: Runtime, seqs: range, point: str = "t", value: Any = None) -> None:
    for seq in seqs:
        runtime.intake.handle(
            T.state("d1", point), state(seq, float(seq) if value is None else value), False
        )
    recorder = runtime.recorder
    if recorder is not None:
        await async_wait_until(lambda: recorder.queued == 0 and recorder.stats.written > 0, 10,
                               "the recorder to write")  # fmt: skip


async def test_raw_window_oldest_first_with_truncation(app: App) -> None:
    client, runtime = await app(history_size=5)  # the ring holds 5: the rest is the store's
    await feed(runtime, range(1, 101))
    url = f"/api/devices/d1/sensors/t/history?from={format_ts(BASE + 11)}&to={format_ts(BASE + 30)}&step=raw"
    doc = (await client.get(url)).json()
    assert doc["step"] == "raw" and doc["unit"] == "°C" and doc["truncated"] is False
    assert [r["seq"] for r in doc["readings"]] == list(range(11, 31))
    assert doc["from"] == format_ts(BASE + 11) and doc["to"] == format_ts(BASE + 30)
    capped = (await client.get(url + "&max_points=5")).json()
    assert capped["truncated"] is True and [r["seq"] for r in capped["readings"]] == list(
        range(26, 31)
    )


async def test_buckets_and_auto(app: App) -> None:
    client, runtime = await app()
    await feed(runtime, range(0, 240))  # 4 minutes at 1/s, values = seq
    url = f"/api/devices/d1/sensors/t/history?from={FROM}&to={format_ts(BASE + 239)}"
    minutes = (await client.get(url + "&step=1m")).json()
    assert minutes["step"] == "1m" and "readings" not in minutes
    first = minutes["buckets"][0]
    assert first["ts"] == FROM and first["count"] == 60 and first["min"] == 0 and first["max"] == 59
    assert first["avg"] == 29.5 and first["last"] == 59
    assert sum(b["count"] for b in minutes["buckets"]) == 240
    assert (await client.get(url)).json()["step"] == "raw"  # 240 readings fit in 2,000
    assert (await client.get(url + "&max_points=100")).json()["step"] == "1m"
    assert (await client.get(url + "&max_points=3")).json()["step"] == "1h"


async def test_booleans_bucket_as_shares(app: App) -> None:
    client, runtime = await app()
    await feed(runtime, range(1, 5), point="relay1", value=True)
    await feed(runtime, range(5, 9), point="relay1", value=False)
    doc = (
        await client.get(f"/api/devices/d1/actuators/relay1/history?from={FROM}&to={TO}&step=1h")
    ).json()
    assert doc["actuator"] == "relay1" and doc["buckets"][0]["avg"] == 0.5
    raw = (await client.get(f"/api/devices/d1/actuators/relay1/history?from={FROM}&to={TO}")).json()
    assert [r["value"] for r in raw["readings"]] == [True] * 4 + [False] * 4


async def test_csv_has_the_contracts_header_and_filename(app: App) -> None:
    client, runtime = await app()
    await feed(runtime, range(1, 4))
    url = f"/api/devices/d1/sensors/t/history?from={FROM}&to={TO}&step=raw"
    response = await client.get(url + "&format=csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (f'attachment; filename="d1-t-{STAMP}.csv"')
    lines = response.text.splitlines()
    assert lines[0] == "ts,value,seq" and lines[1] == f"{format_ts(BASE + 1)},1.0,1"
    by_accept = await client.get(url, headers={"Accept": "text/csv"})
    assert by_accept.text == response.text
    buckets = await client.get(url.replace("step=raw", "step=1m") + "&format=csv")
    assert buckets.text.splitlines()[0] == "ts,min,max,avg,last,count"


async def test_device_export_is_long_form(app: App) -> None:
    client, runtime = await app()
    await feed(runtime, range(1, 3))
    await feed(runtime, range(3, 4), point="relay1", value=True)
    doc = (await client.get(f"/api/devices/d1/history?from={FROM}&to={TO}")).json()
    assert [(r["point"], r["role"], r["seq"]) for r in doc["readings"]] == [
        ("t", "sensor", 1), ("t", "sensor", 2), ("relay1", "actuator", 3),
    ]  # fmt: skip
    csv = await client.get(f"/api/devices/d1/history?from={FROM}&to={TO}&format=csv")
    assert csv.text.splitlines()[0] == "ts,point,role,value,seq"
    assert csv.text.splitlines()[3].endswith(",relay1,actuator,true,3")
    assert f'filename="d1-{STAMP}.csv"' in csv.headers["content-disposition"]


async def test_coverage_shows_holes_and_what_is_asked_for(app: App) -> None:
    client, runtime = await app(replay_delay=100.0)
    await feed(runtime, range(1, 11))
    await feed(runtime, range(20, 31))  # 11..19 missing: a gap the tracker will ask for
    doc = (await client.get("/api/devices/d1/coverage")).json()
    assert (doc["first_seq"], doc["last_seq"], doc["recorded"]) == (1, 30, 21)
    assert doc["missing"] == [{"from_seq": 11, "to_seq": 19, "reason": "requested"}]
    await feed(runtime, range(11, 20))  # the replay arrives
    doc = (await client.get("/api/devices/d1/coverage")).json()
    assert doc["missing"] == [] and doc["recorded"] == 30


@pytest.mark.parametrize(
    ("query", "complaint"),
    [
        (f"from={TO}&to={FROM}", "from: "),
        ("from=yesterday", "from: 'yesterday' is not an ISO-8601 time"),
        ("to=2026-13-01T00:00:00Z", "to: "),
        ("step=5m", "step: '5m' is not raw, 1m, 1h or auto"),
        ("format=xml", "format: 'xml' is not json or csv"),
        ("max_points=0", "max_points: 0 is outside 1..100000"),
        ("max_points=100001", "max_points: 100001 is outside"),
        ("max_points=lots", "max_points: 'lots' is not a whole number"),
        (f"since={FROM}&from={FROM}", "since: give from or since"),
    ],
)
async def test_every_bad_parameter_is_a_400_that_names_it(
    app: App, query: str, complaint: str
) -> None:
    client, _ = await app()
    response = await client.get(f"/api/devices/d1/sensors/t/history?{query}")
    assert response.status_code == 400
    assert response.json()["detail"].startswith(complaint)


async def test_unknown_devices_and_points_are_404(app: App) -> None:
    client, _ = await app()
    for path in ("/api/devices/nope/sensors/t/history", "/api/devices/d1/sensors/nope/history",
                 "/api/devices/d1/actuators/t/history", "/api/devices/nope/history",
                 "/api/devices/nope/coverage"):  # fmt: skip
        assert (await client.get(path)).status_code == 404, path


async def test_audit_records_refusals_and_needs_the_operator_role(app: App, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    viewer = create_token(tokens, "kiosk", "viewer")
    operator = create_token(tokens, "alice", "operator")
    client, runtime = await app(tokens_file=tokens)
    runtime.intake.handle(T.status("d1"), b"offline", True)
    as_op = {"Authorization": f"Bearer {operator}"}
    as_viewer = {"Authorization": f"Bearer {viewer}"}
    assert (await client.post("/api/devices/d1/actuators/relay1", json={"value": "ON"},
                              headers=as_op)).status_code == 409  # fmt: skip
    assert (await client.post("/api/devices/d1/actuators/relay1", json={"value": "ON"},
                              headers=as_viewer)).status_code == 403  # fmt: skip
    assert (await client.get("/api/audit", headers=as_viewer)).status_code == 403
    entries = (await client.get("/api/audit", headers=as_op)).json()["entries"]
    assert [(e["principal"], e["status"], e["via"]) for e in entries] == [
        ("kiosk", "refused", "rest"), ("alice", "offline", "rest"),
    ]  # fmt: skip
    assert entries[1]["value"] == "ON" and entries[1]["cid"] is None
    recorder = runtime.recorder
    assert recorder is not None
    await async_wait_until(lambda: recorder.stats.audit_written == 2, 10, "the audit written")
    stored = await recorder.store.audit(None, None, None, 10)
    assert [e.status for e in stored] == ["refused", "offline"]
    csv = await client.get("/api/audit?format=csv&device=d1", headers=as_op)
    assert csv.text.splitlines()[0] == (
        "ts,principal,device,actuator,value,cid,status,error,latency_ms,via"
    )


async def test_none_keeps_v2s_ring_and_the_audit_in_memory(app: App) -> None:
    client, runtime = await app(history_url="none", history_size=3)
    assert runtime.recorder is None
    await feed(runtime, range(1, 10))
    doc = (await client.get("/api/devices/d1/sensors/t/history?limit=10")).json()
    assert [r["seq"] for r in doc["readings"]] == [7, 8, 9]
    buckets = (
        await client.get(f"/api/devices/d1/sensors/t/history?from={FROM}&to={TO}&step=1m")
    ).json()
    assert sum(b["count"] for b in buckets["buckets"]) == 3
    cov = (await client.get("/api/devices/d1/coverage")).json()
    assert cov == {
        "device": "d1",
        "first_seq": None,
        "last_seq": None,
        "recorded": 0,
        "missing": [],
    }
    await client.post("/api/devices/d1/actuators/relay1", json={"value": "maybe"})
    entries = (await client.get("/api/audit")).json()["entries"]
    assert [(e["principal"], e["status"]) for e in entries] == [("open", "refused")]
    ready = (await client.get("/readyz")).json()
    assert ready["recorder"] == {"enabled": False, "store": "none", "ok": True}


async def test_readyz_and_metrics_show_the_recorder(app: App) -> None:
    client, runtime = await app()
    await feed(runtime, range(1, 6))
    recorder = (await client.get("/readyz")).json()["recorder"]
    assert recorder["enabled"] and recorder["ok"] and recorder["written"] == 5
    text = (await client.get("/metrics")).text
    assert 'pigw_gateway_history_readings_total{what="written"} 5.0' in text
    assert "pigw_gateway_history_ok 1.0" in text


# --- step=raw's JSON: the same bytes as the old dict + json.dumps encoding (issue 14) -----------
def old_body(
    ref: PointRef, unit: str | None, *, start: str, end: str, readings: Any, truncated: bool
) -> bytes:
    """What the route wrote before the readings came as text: one dict per reading and
    JSONResponse's json.dumps of the whole document."""
    doc = {"device": ref.device, ref.role: ref.point, "unit": unit, "from": start, "to": end,
           "step": "raw",
           "readings": [{"value": r.value, "ts": iso_ms(r.ts_ms), "seq": r.seq} for r in readings],
           "truncated": truncated}  # fmt: skip
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


async def assert_old_bytes(
    client: httpx.AsyncClient, runtime: Runtime, ref: PointRef, window: tuple[int, int],
    extra: str = "", *, unit: str | None, cap: int = 2_000,
) -> dict[str, Any]:  # fmt: skip
    """The route's answer against the old encoding of what the old path (point()) answers."""
    start, end = window
    role = "sensors" if ref.role == "sensor" else "actuators"
    url = (f"/api/devices/{ref.device}/{role}/{ref.point}/history?from={format_ts(start)}"
           f"&to={format_ts(end)}{extra}")  # fmt: skip
    response = await client.get(url)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    old = await runtime.history.point(ref, start * 1000, end * 1000, Tier.RAW, cap)
    expected = old_body(ref, unit, start=format_ts(start), end=format_ts(end),
                        readings=old.readings, truncated=old.truncated)  # fmt: skip
    assert response.content == expected
    doc: dict[str, Any] = response.json()
    return doc


async def test_raw_json_is_byte_identical_to_the_old_encoding(app: App) -> None:
    client, runtime = await app(history_size=5)
    await feed(runtime, range(1, 41))  # floats, the ring holds the last 5
    await feed(runtime, range(41, 51), value=7)  # ints
    await feed(runtime, range(51, 61), point="door", value=True)  # a digital sensor
    await feed(runtime, range(61, 71), point="relay1", value=False)
    t, door = PointRef("d1", "sensor", "t"), PointRef("d1", "sensor", "door")
    relay = PointRef("d1", "actuator", "relay1")
    doc = await assert_old_bytes(client, runtime, t, (BASE, BASE + 100), "&step=raw", unit="°C")
    assert len(doc["readings"]) == 50 and doc["readings"][-1]["value"] == 7.0
    auto = await assert_old_bytes(client, runtime, t, (BASE, BASE + 100), unit="°C")  # auto: raw
    assert auto["step"] == "raw"
    capped = await assert_old_bytes(
        client, runtime, t, (BASE, BASE + 100), "&step=raw&max_points=5", unit="°C", cap=5
    )
    assert capped["truncated"] is True
    assert [r["seq"] for r in capped["readings"]] == list(range(46, 51))
    digital = await assert_old_bytes(
        client, runtime, door, (BASE, BASE + 100), "&step=raw", unit="°C"
    )
    assert {r["value"] for r in digital["readings"]} == {True}
    actuator = await assert_old_bytes(
        client, runtime, relay, (BASE, BASE + 100), "&step=raw", unit="°C"
    )
    assert actuator["actuator"] == "relay1"
    assert {r["value"] for r in actuator["readings"]} == {False}
    empty = await assert_old_bytes(
        client, runtime, t, (BASE + 500, BASE + 600), "&step=raw", unit="°C"
    )
    assert empty["readings"] == [] and empty["truncated"] is False


async def test_raw_json_with_the_ring_ahead_of_the_store(app: App) -> None:
    """Readings the recorder has not written yet (its write waits here) come from the ring: newer
    than the store's newest they are appended to the store's text, older they go the merge path."""
    client, runtime = await app(history_size=10)
    await feed(runtime, range(1, 21))
    recorder = runtime.recorder
    assert recorder is not None
    store = recorder.store
    write, release = store.write, asyncio.Event()

    async def held(readings: Any) -> Any:
        await release.wait()
        return await write(readings)

    store.write = held  # type: ignore[method-assign]
    try:
        for seq in range(21, 26):
            runtime.intake.handle(T.state("d1", "t"), state(seq, seq + 0.5), False)
        await async_wait_until(lambda: recorder.queued == 0, 10, "the batch to reach the store")
        t = PointRef("d1", "sensor", "t")
        doc = await assert_old_bytes(client, runtime, t, (BASE, BASE + 100), "&step=raw", unit="°C")
        assert [r["seq"] for r in doc["readings"]] == list(range(1, 26))
        capped = await assert_old_bytes(
            client, runtime, t, (BASE, BASE + 100), "&step=raw&max_points=8", unit="°C", cap=8
        )
        assert capped["truncated"] is True and capped["readings"][0]["seq"] == 18
        # a newer reading in the store than the ring's unwritten ones: the merge path
        await write([Reading("d1", "t", "sensor", 90, (BASE + 90) * 1000, 1.25)])
        merged = await assert_old_bytes(
            client, runtime, t, (BASE, BASE + 100), "&step=raw", unit="°C"
        )
        assert [r["seq"] for r in merged["readings"]] == [*range(1, 26), 90]
    finally:
        release.set()
        store.write = write  # type: ignore[method-assign]
