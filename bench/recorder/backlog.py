"""``python -m bench.recorder.backlog``: end to end, a 30-day backlog over MQTT into the recorder.

A real Mosquitto and ``pigw-gateway`` (SQLite store); one device's ``--readings`` (2,592,000: 30
days at 1/s) published as ``backlog`` messages of 1,000 entries, as an agent that was offline for
a month would; timed from the first publish until ``coverage`` says every seq is recorded.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

from pigw.contract import Topics
from tests.gateway.support import Gateway
from tests.support.broker import Mosquitto
from tests.support.mqtt import Recorder

T0_S = 1_764_547_200  # 2025-12-01T00:00:00Z
PER_MESSAGE = 1_000
BACKLOGS = 'pigw_gateway_mqtt_messages_total{type="backlog"}'


def iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(seconds))


def messages(count: int) -> list[bytes]:
    out = []
    for start in range(0, count, PER_MESSAGE):
        entries = [
            f'{{"value":{20 + (seq % 600) / 100},"unit":"°C","ts":"{iso(T0_S + seq)}",'
            f'"seq":{seq},"boot":"b1","sensor":"temp","hist":true}}'
            for seq in range(start, min(start + PER_MESSAGE, count))
        ]
        out.append(("[" + ",".join(entries) + "]").encode())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.recorder.backlog")
    parser.add_argument("--readings", type=int, default=2_592_000)
    parser.add_argument("--queue", type=int, default=100_000, help="--history-queue")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    payloads = messages(args.readings)
    print(f"{args.readings:,} readings in {len(payloads):,} backlog messages", flush=True)
    with tempfile.TemporaryDirectory(prefix="pigw-bench-backlog-") as folder:
        work = Path(folder)
        broker = Mosquitto(work / "broker").start()
        gateway = Gateway(work / "gateway", broker.url, "--history-url",
                          f"sqlite:///{work / 'history.db'}", "--history-queue", str(args.queue),
                          "--history-raw-days", "3650", gateway_id="bench")  # fmt: skip
        try:
            gateway.start()
            client = Recorder(broker.host, broker.port)
            topic = Topics().backlog("bench")
            start = time.perf_counter()
            for index, payload in enumerate(payloads, 1):
                client.publish(topic, payload)
                if index % 50 == 0:
                    # Paced as an agent's QoS 1 backlog is: at most ~200 messages ahead of the
                    # gateway, or Mosquitto's per-client queue limit drops the rest.
                    while index - gateway.metric(BACKLOGS) > 200:
                        time.sleep(0.05)
            published = time.perf_counter() - start

            def recorded() -> int:
                doc = httpx.get(f"{gateway.url}/api/devices/bench/coverage", timeout=30).json()
                return int(doc.get("recorded") or 0)

            deadline = time.monotonic() + 900
            while recorded() < args.readings:
                if time.monotonic() > deadline:
                    raise TimeoutError("the backlog was not recorded within 15 minutes")
                # a coarse poll: each coverage request costs the gateway's loop time
                time.sleep(0.5)
            total = time.perf_counter() - start
            client.close()
            dropped = gateway.metric('pigw_gateway_history_readings_total{what="dropped"}')
        finally:
            gateway.stop()
            broker.process.stop()
    result = {
        "benchmark": "recorder-backlog",
        "readings": args.readings,
        "messages": len(payloads),
        "queue": args.queue,
        "published_s": round(published, 1),
        "recorded_s": round(total, 1),
        "readings_per_s": round(args.readings / total),
        "dropped": dropped,
    }
    print(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
