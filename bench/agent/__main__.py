"""Agent benchmark: ``.venv/bin/python -m bench.agent`` (docs/agent.md, "Performance").

1. Idle cost of ``pigw-agent --simulate`` (the demo board) over a window: CPU (% of one core),
   RSS, and the outbox's disk writes per minute (group commits, write syscalls, bytes).
2. Pin edge -> subscriber latency on loopback: an in-process agent whose digital input is driven
   from another thread (as gpiozero's threads do), a paho subscriber on the state topic; p50/p99
   over many edges. The baseline is a plain paho publish -> subscribe round trip (QoS 1, retained)
   measured in the same run on the same broker; the report gives the ratio. Medians of several
   runs.

Needs Mosquitto (``make test`` installs it). Prints a table; ``--json`` for machines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from gpiozero import Device
from paho.mqtt.enums import CallbackAPIVersion

from device_agent.agent import Agent
from device_agent.config import parse_config
from device_agent.settings import AgentSettings
from pigw.contract import Topics
from tests.support.broker import Mosquitto
from tests.support.processes import ManagedProcess, venv_command

TOPICS = Topics()
CLOCK_TICKS = 100  # os.sysconf("SC_CLK_TCK") on Linux


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def proc_rss_mb(pid: int) -> float:
    match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")


def proc_private_mb(pid: int) -> tuple[float, float]:
    """(USS, PSS) in MB: memory only this process uses, and its fair share of shared pages."""
    text = Path(f"/proc/{pid}/smaps_rollup").read_text()

    def kb(name: str) -> int:
        match = re.search(rf"^{name}:\s+(\d+) kB", text, re.M)
        return int(match.group(1)) if match else 0

    return (kb("Private_Clean") + kb("Private_Dirty")) / 1024, kb("Pss") / 1024


def proc_io(pid: int) -> dict[str, int]:
    rows = Path(f"/proc/{pid}/io").read_text().split("\n")
    return {k: int(v) for k, v in (row.split(": ") for row in rows if row)}


def idle(broker: Mosquitto, workdir: Path, window: float) -> dict[str, float]:
    """CPU, RSS and outbox writes of the simulated demo board over ``window`` seconds."""
    agent = ManagedProcess(
        [
            venv_command("pigw-agent"), "--simulate", "--mqtt-url", broker.url,
            "--outbox", str(workdir / "idle-outbox.sqlite"), "--device-id", "bench-idle",
        ],
        workdir / "idle-agent.log",
    ).start()  # fmt: skip
    try:
        agent.wait_for_output("connected to the broker", 30)
        time.sleep(5)  # warm-up: imports done, gpiozero's sampling threads running
        cpu0, io0, t0 = proc_cpu_seconds(agent.pid), proc_io(agent.pid), time.monotonic()
        time.sleep(window)  # the measurement window
        cpu1, io1, t1 = proc_cpu_seconds(agent.pid), proc_io(agent.pid), time.monotonic()
        rss = proc_rss_mb(agent.pid)
        uss, pss = proc_private_mb(agent.pid)
        started = t0 - 5
        agent.stop(30)
    finally:
        agent.stop(30)
    minutes = (t1 - t0) / 60
    commits = re.search(r"outbox_commits=(\d+)", agent.output())
    lifetime_min = (time.monotonic() - started) / 60
    return {
        "cpu_percent": 100 * (cpu1 - cpu0) / (t1 - t0),
        "rss_mb": rss,
        "uss_mb": uss,
        "pss_mb": pss,
        "write_syscalls_per_min": (io1["syscw"] - io0["syscw"]) / minutes,
        "written_kb_per_min": (io1["wchar"] - io0["wchar"]) / 1024 / minutes,
        "outbox_commits_per_min": int(commits.group(1)) / lifetime_min if commits else float("nan"),
    }


class Subscriber:
    """A paho client that timestamps every message on one topic."""

    def __init__(self, broker: Mosquitto, topic: str) -> None:
        self.arrivals: list[tuple[float, bytes]] = []
        self.ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_message = lambda _c, _u, m: self.arrivals.append(
            (time.perf_counter(), m.payload)
        )
        self.client.on_subscribe = lambda *_: self.ready.set()
        self.client.on_connect = lambda c, *_: c.subscribe(topic, 1)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        if not self.ready.wait(10):
            raise RuntimeError("subscriber did not subscribe")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def baseline_run(broker: Mosquitto, edges: int, gap: float, run: int) -> list[float]:
    """Plain paho: publish (QoS 1, retained) -> subscriber, on the same broker."""
    topic = f"bench/baseline-{run}/state"  # a fresh topic: no retained message from a run before
    sub = Subscriber(broker, topic)
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    pub.connect(broker.host, broker.port)
    pub.loop_start()
    sent: list[float] = []
    try:
        for n in range(edges):
            sent.append(time.perf_counter())
            pub.publish(topic, json.dumps({"value": n % 2 == 0, "seq": n}), qos=1, retain=True)
            time.sleep(gap)  # pacing: one edge every `gap` seconds
        deadline = time.monotonic() + 10
        while len(sub.arrivals) < edges and time.monotonic() < deadline:
            time.sleep(0.01)  # poll
    finally:
        pub.disconnect()
        pub.loop_stop()
        sub.close()
    return [(arrived - sent[n]) * 1000 for n, (arrived, _) in enumerate(sub.arrivals[:edges])]


EDGE_BOARD = """
[sensors.door]
kind = "digital"
pin = 17
debounce = 0
simulate = { signal = "square", period = 1e9 }
"""


def agent_run(broker: Mosquitto, workdir: Path, edges: int, gap: float, run: int) -> list[float]:
    """In-process agent; edges driven from a worker thread; latency to a paho subscriber."""
    device = f"bench-edge-{run}"
    settings = AgentSettings(mqtt_url=broker.url, simulate=True)
    agent = Agent(settings, parse_config(EDGE_BOARD), device, workdir / f"edge-{run}.sqlite")
    sub = Subscriber(broker, TOPICS.state(device, "door"))
    sent: dict[int, float] = {}

    def drive() -> None:
        while not agent_ready():
            time.sleep(0.01)  # poll
        time.sleep(0.5)  # let the start-up publishes settle before the first edge
        pin = Device.pin_factory.pin(17)
        before = len(sub.arrivals)
        for n in range(edges):
            level = n % 2 == 0
            sent_at = time.perf_counter()
            if level:
                pin.drive_low()  # pull-up: pressing pulls low
            else:
                pin.drive_high()
            sent[before + n] = sent_at
            time.sleep(gap)  # pacing
        deadline = time.monotonic() + 10
        while len(sub.arrivals) < before + edges and time.monotonic() < deadline:
            time.sleep(0.01)  # poll

    def agent_ready() -> bool:
        return bool(sub.arrivals)

    async def main() -> None:
        task = asyncio.create_task(agent.run())
        await asyncio.to_thread(drive)
        agent.request_stop()
        await task

    asyncio.run(main())
    sub.close()
    return [
        (arrived - sent[i]) * 1000
        for i, (arrived, _payload) in enumerate(sub.arrivals)
        if i in sent
    ]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.agent", description=__doc__)
    parser.add_argument("--window", type=float, default=60.0, help="idle window in seconds")
    parser.add_argument("--edges", type=int, default=500, help="edges per latency run")
    parser.add_argument("--runs", type=int, default=5, help="latency runs (medians reported)")
    parser.add_argument("--gap", type=float, default=0.01, help="seconds between edges")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pigw-bench-") as tmp:
        workdir = Path(tmp)
        broker = Mosquitto(workdir / "broker").start()
        try:
            idle_figures = idle(broker, workdir, args.window)
            runs: list[dict[str, float]] = []
            for run in range(args.runs):
                base = baseline_run(broker, args.edges, args.gap, run)
                edge = agent_run(broker, workdir, args.edges, args.gap, run)
                b50, b99 = percentiles(base)
                a50, a99 = percentiles(edge)
                runs.append(
                    {
                        "agent_p50_ms": a50,
                        "agent_p99_ms": a99,
                        "paho_p50_ms": b50,
                        "paho_p99_ms": b99,
                        "received": len(edge),
                    }
                )
        finally:
            broker.process.stop()
    latency = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    latency["ratio_p50"] = latency["agent_p50_ms"] / latency["paho_p50_ms"]
    latency["ratio_p99"] = latency["agent_p99_ms"] / latency["paho_p99_ms"]
    report: dict[str, Any] = {
        "idle": idle_figures,
        "latency": latency,
        "runs": runs,
        "args": vars(args),
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"idle pigw-agent --simulate over {args.window:.0f} s:")
        for key, value in idle_figures.items():
            print(f"  {key:28s} {value:10.2f}")
        print(f"pin edge -> subscriber, {args.runs} runs x {args.edges} edges (medians):")
        for key, value in latency.items():
            print(f"  {key:28s} {value:10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
