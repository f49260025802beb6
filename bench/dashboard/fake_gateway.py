"""A stand-in for the gateway that drives the dashboard as hard as the benchmark asks: the real
build (``gateway/web/dist``), a snapshot of N devices, then readings at a fixed total rate over
SSE, and recorder-shaped history answers (CONTRACT.md v3) synthesized on the fly.

It is a fake on purpose: the benchmark measures the browser's side (what the page does with
1,000 readings/s), so the event source must not be the bottleneck, and the same bytes must arrive
in every run. The wire format is the contract's (``event:``, ``id:``, one-line ``data:``).
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pigw.contract import format_ts

SENSORS = {
    "temperature": ("ds18b20", "°C", 5.0),
    "humidity": ("adc", "%", 5.0),
    "level": ("distance", "cm", 1.0),
    "light": ("light", "%", 2.0),
}
#: Readings are sent in slices this often (s): 1,000/s is 10 per 10 ms, as a busy gateway's
#: batched writes arrive.
SLICE_S = 0.01


def device_id(n: int) -> str:
    return f"dev-{n:04d}"


def meta(n: int) -> dict[str, Any]:
    return {
        "id": device_id(n),
        "name": f"Greenhouse {n // 10} bed {n % 10}",
        "model": "Raspberry Pi 4",
        "sw": "0.1.0",
        "boot": "bench",
        "sensors": {
            sid: {"kind": kind, "unit": unit, "interval": interval, "settable": False}
            for sid, (kind, unit, interval) in SENSORS.items()
        },
        "actuators": {"relay1": {"kind": "relay", "settable": True}},
    }


def online(n: int) -> bool:
    """A few devices offline (and silent), as a real fleet has."""
    return n % 50 != 7


def value(n: int, sensor: str, t: float) -> float:
    return round(20 + 10 * math.sin(t / 60 + n + len(sensor)), 2)


def snapshot(devices: int, now: float) -> dict[str, Any]:
    ts = format_ts(now)
    return {
        "devices": [
            {
                "id": device_id(n),
                "meta": meta(n),
                "online": online(n),
                "last_seen": ts if online(n) else format_ts(now - 180),
                "sensors": {
                    sid: {
                        "value": value(n, sid, now),
                        "unit": unit,
                        "ts": ts,
                        "seq": i,
                        "stale": False,
                    }
                    for i, (sid, (_, unit, _)) in enumerate(SENSORS.items())
                },
                "actuators": {
                    "relay1": {"value": False, "unit": None, "ts": ts, "seq": 9, "stale": False}
                },
            }
            for n in range(devices)
        ],
        "alerts": [],
    }


def sse(event: str, data: Any, event_id: str | None) -> bytes:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def history(request: Request) -> Response:
    """A recorder answer for one point: 1-minute or 1-hour buckets over the window asked for."""
    device = request.path_params["device"]
    point = request.path_params["point"]
    start = datetime.fromisoformat(request.query_params["from"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(request.query_params["to"].replace("Z", "+00:00"))
    step = request.query_params.get("step", "1h")
    width = timedelta(minutes=1) if step in ("1m", "raw") else timedelta(hours=1)
    buckets = []
    moment = start
    n = int(device.removeprefix("dev-") or 0)
    while moment < end:
        t = moment.timestamp()
        avg = value(n, point, t)
        buckets.append(
            {
                "ts": format_ts(t),
                "min": avg - 1,
                "max": avg + 1,
                "avg": avg,
                "last": avg,
                "count": 60,
            }
        )
        moment += width
    head = {"device": device, "sensor": point, "unit": None, "from": request.query_params["from"],
            "to": request.query_params["to"]}  # fmt: skip
    if step == "raw":
        # The contract: the most recent `max_points` of the window.
        limit = int(request.query_params.get("max_points", "2000"))
        readings = [{"value": b["avg"], "ts": b["ts"], "seq": i} for i, b in enumerate(buckets)]
        readings = readings[-limit:]
        return JSONResponse({**head, "step": "raw", "readings": readings, "truncated": False})
    return JSONResponse(
        {**head, "step": "1h" if width.seconds == 3600 else "1m", "buckets": buckets}
    )


def create_app(dist: Path, devices: int, rate: float) -> Starlette:
    async def events(request: Request) -> StreamingResponse:
        async def stream() -> AsyncIterator[bytes]:
            loop = asyncio.get_running_loop()
            counter = 0
            yield b"retry: 1000\n\n"
            yield sse("snapshot", snapshot(devices, datetime.now(UTC).timestamp()), "bench-0")
            seqs = [10] * devices
            per_slice = rate * SLICE_S
            owed = 0.0
            started = loop.time()
            slices = 0
            while not await request.is_disconnected():
                slices += 1
                owed += per_slice
                now = datetime.now(UTC).timestamp()
                chunk = []
                while owed >= 1:
                    owed -= 1
                    counter += 1
                    n = counter % devices
                    while not online(n):  # the rate is of readings sent: skip, do not drop
                        counter += 1
                        n = counter % devices
                    sensor = list(SENSORS)[counter // devices % len(SENSORS)]
                    seqs[n] += 1
                    reading = {
                        "device": device_id(n),
                        "sensor": sensor,
                        "value": value(n, sensor, now),
                        "unit": SENSORS[sensor][1],
                        "ts": format_ts(now),
                        "seq": seqs[n],
                        "boot": "bench",
                        "hist": False,
                    }
                    chunk.append(sse("reading", reading, f"bench-{counter}"))
                if chunk:
                    yield b"".join(chunk)
                await asyncio.sleep(max(0.0, started + slices * SLICE_S - loop.time()))

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def session(_: Request) -> JSONResponse:
        return JSONResponse({"name": None, "role": "operator", "auth": "open"})

    async def ready(_: Request) -> JSONResponse:
        return JSONResponse({"ready": True})

    async def openapi(_: Request) -> JSONResponse:
        # Says the recorder is there, so the device page asks for history (api/capabilities.ts).
        return JSONResponse({"paths": {
            "/api/devices/{dev}/sensors/{sensor}/history": {},
            "/api/devices/{dev}/actuators/{act}/history": {},
            "/api/devices/{dev}/coverage": {},
        }})  # fmt: skip

    async def coverage(request: Request) -> JSONResponse:
        return JSONResponse({"device": request.path_params["device"], "first_seq": 0,
                             "last_seq": 100, "recorded": 101, "missing": []})  # fmt: skip

    async def index(_: Request) -> FileResponse:
        return FileResponse(dist / "index.html")

    return Starlette(
        routes=[
            Route("/", index),
            Route("/api/events", events),
            Route("/api/session", session),
            Route("/readyz", ready),
            Route("/openapi.json", openapi),
            Route("/api/devices/{device}/coverage", coverage),
            Route("/api/devices/{device}/{role}/{point}/history", history),
            Mount("/assets", StaticFiles(directory=dist / "assets")),
        ]
    )
