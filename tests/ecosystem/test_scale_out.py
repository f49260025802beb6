"""Two gateway replicas on one broker (docs/scale-out.md): the same state from both, commands
through either, and a stream moved from one to the other resyncs through ``reset`` + ``snapshot``.

Real parts only: one Mosquitto, one simulated ``pigw-agent``, two ``pigw-gateway`` processes with
different ``--gateway-id``s and ports. The agent is frozen (SIGSTOP) whenever the test compares
states, so that nothing changes while it looks; its keepalive (30 s, given explicitly: the default
is 15 s) is far longer than that.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pigw.contract import Topics
from tests.gateway.support import Gateway, SseClient, SseEvent
from tests.support.broker import Mosquitto
from tests.support.mqtt import recorder
from tests.support.processes import ManagedProcess, venv_command
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

TOPICS = Topics()
DEVICE = "scale-pi"

Points = dict[str, tuple[Any, int]]  # "sensors/temperature" -> (value, seq)


def points(device: dict[str, Any]) -> Points:
    return {
        f"{group}/{point}": (entry["value"], entry["seq"])
        for group in ("sensors", "actuators")
        for point, entry in device[group].items()
    }


def served(gateway: Gateway) -> dict[str, Any]:
    """What a replica serves for the device: meta, online and every point's value and seq."""
    response = gateway.get(f"/api/devices/{DEVICE}")
    assert response.status_code == 200, response.text
    device = response.json()
    return {"meta": device["meta"], "online": device["online"], "points": points(device)}


def epoch(event: SseEvent) -> str:
    assert event.id is not None
    return event.id.rsplit("-", 1)[0]


class StreamView:
    """The device state a stream client builds: the last snapshot, then live events applied."""

    def __init__(self, client: SseClient) -> None:
        self.client = client

    def state(self) -> Points:
        view: Points = {}
        for event in self.client.snapshot():
            if event.event == "snapshot":
                view = {}
                for device in event.data["devices"]:
                    if device["id"] == DEVICE:
                        view = points(device)
            elif event.event in ("reading", "actuator") and event.data["device"] == DEVICE:
                group = "sensors" if event.event == "reading" else "actuators"
                key = f"{group}/{event.data.get('sensor') or event.data.get('actuator')}"
                # A late (hist) reading is history, not the value now: newest seq wins.
                if key not in view or event.data["seq"] > view[key][1]:
                    view[key] = (event.data["value"], event.data["seq"])
        return view


@contextmanager
def frozen(agent: ManagedProcess) -> Iterator[None]:
    agent.pause()
    try:
        yield
    finally:
        agent.resume()


def settled(a: Gateway, b: Gateway) -> dict[str, Any] | None:
    """Both replicas' view of the device when they agree, else None (still arriving)."""
    first, second = served(a), served(b)
    return first if first == second else None


def test_two_replicas_serve_the_same_state_and_a_moved_stream_resyncs(
    broker: Mosquitto, tmp_path: Path
) -> None:
    agent = ManagedProcess(
        [
            venv_command("pigw-agent"), "--simulate", "--mqtt-url", broker.url,
            "--device-id", DEVICE, "--outbox", str(tmp_path / "outbox.sqlite"),
            "--mqtt-keepalive", "30",
        ],
        tmp_path / "agent.log",
    )  # fmt: skip
    replica_a = Gateway(tmp_path / "a", broker.url, gateway_id="replica-a")
    replica_b = Gateway(tmp_path / "b", broker.url, gateway_id="replica-b")
    with recorder(broker.host, broker.port, TOPICS.all_filter()) as watch:
        agent.start()
        replica_a.start()
        replica_b.start()
        try:
            # Each replica announces itself under its own id.
            for gateway_id in ("replica-a", "replica-b"):
                status = watch.wait_for(TOPICS.gateway_status(gateway_id), timeout=30)
                assert status[-1].payload == b"online"

            # The same device, meta, status and latest value + seq of every point.
            for replica in (replica_a, replica_b):
                wait_until(
                    lambda r=replica: r.get(f"/api/devices/{DEVICE}").status_code == 200,
                    30,
                    "the device on both replicas",
                )
            with frozen(agent):
                state = wait_until(
                    lambda: settled(replica_a, replica_b), 30, "the replicas to agree"
                )
            assert state["online"] is True
            assert {"sensors/temperature", "actuators/relay1"} <= set(state["points"])
            ids = [
                sorted(d["id"] for d in r.get("/api/devices").json()["devices"])
                for r in (replica_a, replica_b)
            ]
            assert ids == [[DEVICE], [DEVICE]]

            # A command through replica B: acknowledged there, the new state shown by A as well.
            relay = state["points"]["actuators/relay1"][0]
            response = replica_b.post(
                f"/api/devices/{DEVICE}/actuators/relay1", json={"value": not relay}
            )
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "ok"
            wait_until(
                lambda: served(replica_a)["points"]["actuators/relay1"][0] is (not relay),
                30,
                "replica A showing the relay's new state",
            )

            # A stream on A, moved to B with A's Last-Event-ID: reset, snapshot, converged.
            on_a = SseClient(f"{replica_a.url}/api/events").start()
            try:
                on_a.wait_for(
                    lambda events: len([e for e in events if e.event == "reading"]) >= 3,
                    30,
                    "three readings on replica A",
                )
            finally:
                on_a.close()
            last_id = [e for e in on_a.snapshot() if e.id is not None][-1].id
            assert last_id is not None

            on_b = SseClient(
                f"{replica_b.url}/api/events", headers={"Last-Event-ID": last_id}
            ).start()
            try:
                on_b.wait_count("snapshot", 1, timeout=30)
                first, second = on_b.snapshot()[:2]
                assert first.event == "reset" and first.id is None
                assert first.data["reason"] == "epoch"
                assert second.event == "snapshot"
                assert epoch(second) != last_id.rsplit("-", 1)[0]
                view = StreamView(on_b)
                on_b.wait_for(
                    lambda events: len([e for e in events if e.event == "reading"]) >= 2,
                    30,
                    "live readings on replica B after the snapshot",
                )
                with frozen(agent):
                    final = wait_until(
                        lambda: (
                            (s := settled(replica_a, replica_b))
                            and view.state() == s["points"]
                            and s
                        ),
                        30,
                        "the moved stream to converge on what both replicas serve",
                    )
                assert final["points"]["actuators/relay1"][0] is (not relay)
            finally:
                on_b.close()
        finally:
            for process in (replica_b.process, replica_a.process):
                process.stop()
            agent.stop(20)
            for log in (replica_a.process, replica_b.process, agent):
                print(f"--- {log.log_path.name} ---\n{log.tail()}")
