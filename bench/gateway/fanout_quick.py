"""A quick fan-out benchmark: the gateway's hub versus a textbook sse-starlette server.

Both servers get the same MQTT input from the same broker, in the same run, on the same machine:

* ``hub``: ``pigw-gateway`` itself (one ring, cursors, one shared write per wake-up);
* ``textbook``: the design issue 7 compares against, written the way the sse-starlette docs show
  it: one ``asyncio.Queue`` per client, one generator per client, one ``send`` per event.

For each server and client count it starts the server, connects N SSE clients from a separate
process (a lean reader: raw sockets, counting events with ``bytes.count``, latencies from the
publish time carried in each reading's value), publishes readings at a fixed rate for a while, and
prints deliveries/s, loss, latency p50/p99, the server's CPU and RSS, and the reader's CPU.

    .venv/bin/python bench/gateway/fanout_quick.py --clients 100 1000 --rate 200 --duration 15

This is the quick measurement issue 4 asks for before writing a custom SSE response; the full
benchmark (steps, floors, ratios) is ``pigw-bench`` (issue 7).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiomqtt
import paho.mqtt.client as mqtt
import uvicorn
import uvloop
from fastapi import FastAPI
from paho.mqtt.enums import CallbackAPIVersion
from sse_starlette import EventSourceResponse

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
VALUE = re.compile(rb'"value": ?([0-9.]+)')


# --- helpers -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)  # poll
    raise SystemExit(f"nothing listens on {port}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- the textbook server ---------------------------------------------------------------------
def serve_textbook(mqtt_port: int, http_port: int) -> None:
    """FastAPI + sse-starlette, one queue per client: what the docs and most tutorials show."""
    queues: set[asyncio.Queue[dict[str, str]]] = set()

    async def bridge() -> None:
        async with aiomqtt.Client("127.0.0.1", mqtt_port) as client:
            await client.subscribe("pigw/#", qos=1)
            n = 0
            async for message in client.messages:
                payload = message.payload
                assert isinstance(payload, bytes)
                n += 1
                event = {"id": str(n), "event": "reading", "data": payload.decode()}
                for queue in queues:
                    if queue.qsize() < 1000:
                        queue.put_nowait(event)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(bridge())
        yield
        task.cancel()

    app = FastAPI(lifespan=lifespan)

    @app.get("/api/events")
    async def events() -> EventSourceResponse:
        queue: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        queues.add(queue)

        async def stream() -> AsyncIterator[dict[str, str]]:
            try:
                while True:
                    yield await queue.get()
            finally:
                queues.discard(queue)

        return EventSourceResponse(stream())

    uvicorn.run(app, host="127.0.0.1", port=http_port, log_level="warning", loop="uvloop")


# --- the reader process --------------------------------------------------------------------------
async def read_streams(port: int, clients: int, duration: float, sample_every: int) -> None:
    counts = [0] * clients
    latencies: list[float] = []
    started = asyncio.Event()
    all_connected = asyncio.Event()
    connected = 0

    async def one(index: int) -> None:
        nonlocal connected
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        writer.write(
            b"GET /api/events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n"
        )
        await reader.readuntil(b"\r\n\r\n")
        connected += 1
        if connected == clients:
            all_connected.set()
        carry = b""
        sep = b""  # "\n\n" from the hub, "\r\n\r\n" from sse-starlette
        sample = index % sample_every == 0
        while True:
            data = await reader.read(1 << 16)
            if not data:
                return
            now = time.time()
            data = carry + data
            if not sep:
                sep = b"\r\n\r\n" if b"\r\n\r\n" in data else b"\n\n"
            cut = data.rfind(sep) + len(sep)
            whole, carry = data[:cut], data[cut:]
            if started.is_set():
                counts[index] += whole.count(b"event: reading")
                if sample:
                    latencies.extend(now - float(v) for v in VALUE.findall(whole))

    tasks = []
    for index in range(clients):
        tasks.append(asyncio.create_task(one(index)))
        if index % 50 == 49:
            await asyncio.sleep(0.05)  # poll: do not flood the accept queue
    await all_connected.wait()
    print("connected", flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    assert line.strip() == "go"
    started.set()
    cpu0 = time.process_time()
    await asyncio.sleep(duration)
    cpu = time.process_time() - cpu0
    await asyncio.sleep(1.0)  # poll: let the last events arrive
    print(
        json.dumps({"counts": counts, "latencies": latencies, "cpu": cpu}),
        flush=True,
    )
    for task in tasks:
        task.cancel()


# --- one run -----------------------------------------------------------------------------------
def publish(mqtt_port: int, rate: float, duration: float) -> int:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", mqtt_port)
    client.loop_start()
    sent = 0
    begin = time.monotonic()
    while (elapsed := time.monotonic() - begin) < duration:
        due = int(elapsed * rate) + 1
        while sent < due:
            sent += 1
            payload = json.dumps(
                {
                    "value": time.time(),
                    "unit": "s",
                    "ts": "2026-11-24T06:00:00.000Z",
                    "seq": sent,
                    "boot": "bench",
                }
            )
            client.publish("pigw/bench/s/state", payload, qos=1)
        time.sleep(0.001)  # poll: the publish clock
    client.loop_stop()
    client.disconnect()
    return sent


def run(server: str, clients: int, rate: float, duration: float, workdir: Path) -> dict[str, Any]:
    mqtt_port, http_port = free_port(), free_port()
    conf = workdir / f"mosquitto-{mqtt_port}.conf"
    text = (REPO / "mosquitto" / "dev.conf").read_text()
    conf.write_text(
        re.sub(r"^listener \d+ 127\.0\.0\.1$", f"listener {mqtt_port} 127.0.0.1", text, flags=re.M)
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        broker = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.DEVNULL)
        procs.append(broker)
        wait_port(mqtt_port)
        if server == "hub":
            argv = [str(BIN / "pigw-gateway"), "--mqtt-url", f"mqtt://127.0.0.1:{mqtt_port}",
                    "--port", str(http_port), "--log-level", "warning", "--max-streams", "5000"]  # fmt: skip
        else:
            argv = [sys.executable, __file__, "--serve-textbook", str(mqtt_port), str(http_port)]
        srv = subprocess.Popen(argv, stderr=(workdir / f"{server}.log").open("wb"))
        procs.append(srv)
        wait_port(http_port)
        time.sleep(1.0)  # poll: the server's MQTT subscription
        readers = subprocess.Popen(
            [sys.executable, __file__, "--read", str(http_port), str(clients), str(duration)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        procs.append(readers)
        assert readers.stdout is not None and readers.stdin is not None
        assert readers.stdout.readline().strip() == b"connected"
        cpu0 = cpu_seconds(srv.pid)
        readers.stdin.write(b"go\n")
        readers.stdin.flush()
        sent = publish(mqtt_port, rate, duration)
        server_cpu = cpu_seconds(srv.pid) - cpu0
        rss = rss_mb(srv.pid)
        result = json.loads(readers.stdout.readline())
        lat = sorted(result["latencies"])
        received = sum(result["counts"])
        return {
            "server": server,
            "clients": clients,
            "rate": rate,
            "sent": sent,
            "deliveries_per_s": received / duration,
            "loss": 1 - received / (sent * clients) if sent else 0.0,
            "p50_ms": 1000 * statistics.median(lat) if lat else float("nan"),
            "p99_ms": 1000 * lat[int(len(lat) * 0.99)] if lat else float("nan"),
            "server_cpu": server_cpu / duration,
            "server_rss_mb": rss,
            "reader_cpu": result["cpu"] / duration,
        }
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> None:
    if sys.argv[1:2] == ["--serve-textbook"]:
        serve_textbook(int(sys.argv[2]), int(sys.argv[3]))
        return
    if sys.argv[1:2] == ["--read"]:
        port, clients, duration = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
        uvloop.run(read_streams(port, clients, duration, sample_every=max(1, clients // 50)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--rate", type=float, nargs="+", default=[200.0])
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--servers", nargs="+", default=["textbook", "hub"])
    args = parser.parse_args()
    print(
        f"{'server':9} {'clients':>7} {'msg/s':>6} {'deliv/s':>9} {'loss':>6} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'srv cpu':>7} {'rss MB':>6} {'rdr cpu':>7}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for clients in args.clients:
            for rate in args.rate:
                for server in args.servers:
                    r = run(server, clients, rate, args.duration, Path(tmp))
                    print(
                        f"{r['server']:9} {r['clients']:7d} {r['rate']:6.0f} "
                        f"{r['deliveries_per_s']:9.0f} {r['loss']:6.1%} {r['p50_ms']:7.1f} "
                        f"{r['p99_ms']:7.1f} {r['server_cpu']:7.0%} {r['server_rss_mb']:6.0f} "
                        f"{r['reader_cpu']:7.0%}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
