"""The systems under test and the processes they are made of.

Each run of a system gets its own fresh Mosquitto (``mosquitto/dev.conf`` on a free loopback port)
and its own server process:

* ``floor``: no server at all; the lean clients are plain MQTT subscribers on the broker;
* ``textbook``: FastAPI + sse-starlette, one queue per client (:mod:`bench.gateway.textbook`);
* ``pigw``: the real ``pigw-gateway`` (loopback, no tokens file, so open);
* ``nodered``: Node-RED with an mqtt-in -> websocket-out flow (:mod:`bench.gateway.nodered`);
* ``cluster``: no server and no Mosquitto: the floor's plain MQTT subscribers on node 2 of a fresh
  three-node NATS cluster (JetStream + MQTT, :mod:`tests.support.nats`), the publisher on node 1,
  so every message crosses the cluster (issue 19: the cluster's fan-out beside one Mosquitto).
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.gateway import nodered
from tests.support.broker import Mosquitto
from tests.support.nats import NatsCluster
from tests.support.ports import free_port, wait_for_port
from tests.support.processes import REPO, ManagedProcess, venv_command

__all__ = ["REPO", "SYSTEMS", "Running", "cpu_seconds", "rss_mb", "start"]

SYSTEMS = ("floor", "textbook", "pigw", "pigw-recorder", "nodered", "cluster")
#: Set from the command line: the floor's subscription QoS, extra lines for mosquitto.conf.
OPTIONS: dict[str, str] = {"floor_qos": "1", "broker_extra": ""}
CLOCK_TICKS = 100  # os.sysconf("SC_CLK_TCK") on Linux


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")


def wait_ready(url: str, timeout: float = 60.0) -> None:
    """Poll ``url`` until it answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)  # poll
    raise RuntimeError(f"{url} did not become ready in {timeout:.0f} s")


class ClusterBroker:
    """A three-node NATS cluster in the place of the Mosquitto: the publisher's ``port`` and the
    "broker" process are node 1's; the subscribers' node is :attr:`subscriber_node`."""

    def __init__(self, workdir: Path) -> None:
        self.cluster = NatsCluster(workdir / "nats").start()
        self.publisher_node, self.subscriber_node = self.cluster.nodes[0], self.cluster.nodes[1]
        assert self.publisher_node.process is not None
        self.process = self.publisher_node.process
        self.port = self.publisher_node.mqtt_port

    def stop(self) -> None:
        self.cluster.stop()


@dataclass
class Running:
    """A started system: where its clients connect and which process is "the server"."""

    name: str
    broker: Mosquitto | ClusterBroker
    server: ManagedProcess | None
    client_kind: str  # sse, mqtt or ws
    client_port: int
    client_path: str

    @property
    def server_pid(self) -> int:
        process = self.server.proc if self.server is not None else self.broker.process.proc
        assert process is not None
        return process.pid

    @property
    def broker_pid(self) -> int:
        assert self.broker.process.proc is not None
        return self.broker.process.proc.pid

    def stop(self) -> None:
        if isinstance(self.broker, ClusterBroker):
            self.broker.stop()  # the "server" is one of its nodes
            return
        if self.server is not None:
            if self.name in ("pigw", "pigw-recorder") and os.environ.get("PIGW_BENCH_PROFILE"):
                # uvicorn re-raises the signal it stopped for: SIGINT ends in KeyboardInterrupt,
                # which lets cProfile write its file (SIGTERM would not).
                self.server.signal(signal.SIGINT)
                self.server.wait_exit(60)
            try:
                self.server.stop(15)
            finally:
                self.broker.stop()
        else:
            self.broker.stop()


def start(name: str, workdir: Path) -> Running:
    """Start a broker and the system ``name`` on it; return once clients can connect."""
    if name not in SYSTEMS:
        raise ValueError(f"unknown system {name!r}; choose from {', '.join(SYSTEMS)}")
    workdir.mkdir(parents=True, exist_ok=True)
    if name == "cluster":
        nats = ClusterBroker(workdir)
        node = nats.subscriber_node
        assert node.process is not None
        # The subscribers' node is "the server" (its CPU and RSS), node 1 is "the broker".
        return Running(name, nats, node.process, "mqtt" + OPTIONS["floor_qos"], node.mqtt_port, "")
    broker = Mosquitto(workdir / "broker", extra_config=OPTIONS["broker_extra"]).start()
    server: ManagedProcess | None = None
    try:
        if name == "floor":
            return Running(name, broker, None, "mqtt" + OPTIONS["floor_qos"], broker.port, "")
        port = free_port()
        if name in ("pigw", "pigw-recorder"):
            # "pigw" without a history store, "pigw-recorder" recording every reading into a
            # fresh SQLite file of this run (issue 14: the recorder's cost on the live fan-out).
            history = f"sqlite:///{workdir / 'history.db'}" if name == "pigw-recorder" else "none"
            profile = os.environ.get("PIGW_BENCH_PROFILE")  # a cProfile output file
            argv = [
                *([sys.executable, "-m", "cProfile", "-o", profile, "-m", "gateway"] if profile
                  else [venv_command("pigw-gateway")]),
                "--mqtt-url", broker.url,
                "--port", str(port),
                "--gateway-id", "bench",
                "--log-level", "warning",
                "--max-streams", "5000",
                "--history-url", history,
            ]  # fmt: skip
            server = ManagedProcess(argv, workdir / "pigw.log").start()
            kind, path = "sse", "/api/events"
            wait_ready(f"http://127.0.0.1:{port}/readyz")
        elif name == "textbook":
            argv = [sys.executable, "-m", "bench.gateway.textbook", str(broker.port), str(port)]
            server = ManagedProcess(argv, workdir / "textbook.log").start()
            kind, path = "sse", "/api/events"
            wait_ready(f"http://127.0.0.1:{port}/readyz")
        else:  # nodered
            server = nodered.start(broker.port, port, workdir)
            kind, path = "ws", nodered.WS_PATH
            wait_for_port(port, 60)
            wait_ready(f"http://127.0.0.1:{port}{nodered.READY_PATH}")
        return Running(name, broker, server, kind, port, path)
    except BaseException:
        if server is not None:
            server.stop(15)
        broker.stop()
        raise
