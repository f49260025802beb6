"""Scenario 3: the gateway is SIGKILLed and started again while the agent keeps publishing. The
browser-like clients reconnect by themselves (their ``Last-Event-ID`` is from the dead gateway's
epoch), get ``reset`` + ``snapshot``, and their view converges to the broker's retained state.

To compare with the retained state the agent is frozen (SIGSTOP) once the clients have their
snapshot, so the broker's state holds still; the clients must then show exactly it: every point's
seq and value, and the device online.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from pigw.contract import TopicKind, Topics, decode_availability, decode_state
from tests.reliability import rig
from tests.reliability.browser import BrowserStream
from tests.reliability.conftest import Figures
from tests.reliability.rig import DEVICE, System
from tests.support.broker import Mosquitto
from tests.support.mqtt import recorder
from tests.support.outbox import wait_for_readings
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
TOPICS = Topics()


def retained_state(broker: Mosquitto) -> dict[str, Any]:
    """The broker's retained view of the device: ``online`` and each point's ``(seq, value)``."""
    marker = "reliability/marker"  # outside the prefix: nothing for the gateway
    with recorder(broker.host, broker.port, f"pigw/{DEVICE}/#", marker) as watch:
        # The retained messages come right after the SUBACK; our own marker, published after
        # subscribing, arrives after all of them (the gateway's readiness relies on the same).
        watch.publish(marker, b"x")
        watch.wait_for(marker)
        messages = [m for m in watch.messages if m.retain]
    view: dict[str, Any] = {"online": None, "points": {}}
    for message in messages:
        parsed = TOPICS.parse(message.topic)
        if parsed.kind is TopicKind.STATUS:
            view["online"] = decode_availability(message.payload)
        elif parsed.kind is TopicKind.STATE:
            state = decode_state(message.payload)
            view["points"][parsed.point] = (state.seq, state.value)
    return view


def shows(client: BrowserStream, retained: dict[str, Any]) -> bool:
    device = client.device(DEVICE)
    if device is None or device.online != retained["online"]:
        return False
    return all(
        (point := device.points.get(name)) is not None and (point.seq, point.value) == expected
        for name, expected in retained["points"].items()
    )


def gateway_crashes(
    broker: Mosquitto, system: System, figures: Figures, *, crashes: int, down_readings: int
) -> None:
    gateway = system.gateway(broker.url)
    clients = system.browsers(gateway.url)
    agent = system.agent(broker.url)
    outbox = rig.outbox_path(system.folder / "agent")
    clients.wait_all(lambda c: len(c.event_seqs(DEVICE)) >= 50, 30, "live readings")
    to_snapshot: list[float] = []
    to_converged: list[float] = []
    for _ in range(crashes):
        gateway.process.kill()
        wait_for_readings(outbox, down_readings)  # published while no gateway listens
        restarted_at = time.monotonic()
        gateway.start()
        arrivals = wait_until(
            lambda t=restarted_at: (
                (found := [snapshot_after(c, t) for c in clients])
                and all(a is not None for a in found)
                and found
            ),
            30,
            "reset + snapshot at every client",
        )
        to_snapshot.extend(rig.elapsed_ms(restarted_at, at) for at in arrivals)
        agent.pause()  # the broker's retained state holds still
        try:
            retained = retained_state(broker)
            clients.wait_all(lambda c, r=retained: shows(c, r), 30, "the broker's retained state")
            to_converged.append(rig.elapsed_ms(restarted_at))
        finally:
            agent.resume()
        assert retained["online"] is True and len(retained["points"]) == 9
    figures.update(
        {
            "gateway SIGKILLs": crashes,
            "readings published while the gateway was down": down_readings,
            "restart -> reset + snapshot at each client ms": to_snapshot,
            "restart -> every client shows the retained state ms": to_converged,
            "resets per client (reasons)": [sorted(set(c.resets)) for c in clients],
            "failed reconnect attempts per client": [c.failed_attempts for c in clients],
            "duplicates shown per client": [len(c.duplicates) for c in clients],
        }
    )
    for client in clients:
        assert client.resets == ["epoch"] * crashes, client.name
        assert client.snapshots == crashes + 1, client.name
        assert client.duplicates == [], client.name


def snapshot_after(client: BrowserStream, after: float) -> float | None:
    """When the client got a snapshot preceded by a reset, both after ``after``."""
    resets = [t for t in client.reset_at if t >= after]
    snapshots = [t for t in client.snapshot_at if resets and t >= resets[0]]
    return snapshots[0] if snapshots else None


def test_gateway_sigkill_and_restart_clients_reset_and_converge(
    broker: Mosquitto, system: System, figures: Figures
) -> None:
    gateway_crashes(broker, system, figures, crashes=2, down_readings=100)


@pytest.mark.soak
@pytest.mark.timeout(900)  # minutes by design; the suite-wide 300 s is for `make test`
def test_soak_gateway_sigkill_and_restart_clients_reset_and_converge(
    broker: Mosquitto, system: System, figures: Figures
) -> None:
    gateway_crashes(broker, system, figures, crashes=10, down_readings=250)
