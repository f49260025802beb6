"""Scenario 1: the broker is SIGKILLed and restarted while an agent publishes ~50 readings/s and
three browser-like clients watch. Afterwards every client holds every seq the agent made (every
state message of the device: sensors and actuators), with no gap and no duplicate shown as a new
reading.

What has to work together: the agent's outbox (readings made while the broker is down go out as a
backlog after reconnect), paho's resend of unacknowledged messages, the gateway's seq tracking
(duplicates dropped, gaps replayed from the agent), and the hub's Last-Event-ID resume (one
client's own network drops during each outage and it reconnects by itself).
"""

from __future__ import annotations

import time

import pytest

from tests.reliability import rig
from tests.reliability.conftest import Figures
from tests.reliability.rig import DEVICE, System
from tests.support.broker import Mosquitto
from tests.support.outbox import outbox_rate, outbox_seqs, outbox_top, wait_for_readings

pytestmark = pytest.mark.integration


def broker_crashes(
    broker: Mosquitto,
    system: System,
    figures: Figures,
    *,
    crashes: int,
    outage_readings: int,
    between_readings: int,
) -> None:
    """``crashes`` broker SIGKILLs, each outage lasting ``outage_readings`` readings, with
    ``between_readings`` readings of normal life after each recovery."""
    gateway = system.gateway(broker.url)
    clients = system.browsers(gateway.url)
    agent = system.agent(broker.url)
    outbox = rig.outbox_path(system.folder / "agent")
    clients.wait_all(lambda c: len(c.event_seqs(DEVICE)) >= 100, 30, "100 live readings")
    wait_for_readings(outbox, 250)
    figures["agent readings/s"] = round(outbox_rate(outbox))
    outages, recoveries, made_while_down = [], [], []
    for crash in range(crashes):
        before = outbox_top(outbox)
        killed_at = time.monotonic()
        broker.kill()
        clients.wait_all(lambda c, t=killed_at: c.first_broker_after(False, t), 30, "broker: lost")
        # The network of one tab drops during the outage: it reconnects with Last-Event-ID.
        clients.streams[crash % len(clients.streams)].drop()
        made_while_down.append(wait_for_readings(outbox, outage_readings) - before)
        restarted_at = time.monotonic()
        outages.append(rig.elapsed_ms(killed_at, restarted_at))
        broker.start()
        # The gateway's reconnect backoff reaches 30 s (+25 % jitter) when the broker keeps
        # dying within 10 s of each connect (gateway/mqtt/bridge.py): wait longer than that.
        clients.wait_all(
            lambda c, t=restarted_at: c.first_broker_after(True, t), 60, "broker: back"
        )
        made = set(outbox_seqs(outbox))
        clients.wait_all(lambda c, m=made: m <= c.event_seqs(DEVICE), 60, "every seq made so far")
        recoveries.append(rig.elapsed_ms(restarted_at))
        wait_for_readings(outbox, between_readings)
    agent.stop(20)
    expected = set(outbox_seqs(outbox))
    clients.wait_all(lambda c: expected <= c.event_seqs(DEVICE), 30, "the last seqs")
    metrics = gateway.get("/metrics").text
    figures.update(
        {
            "broker crashes": crashes,
            "outage ms": outages,
            "readings made while the broker was down": made_while_down,
            "recovery ms (broker back -> every client holds every seq)": recoveries,
            "seqs made (device total)": len(expected),
            "missing per client": clients.missing(expected),
            "duplicates shown per client": [len(c.duplicates) for c in clients],
            "event id breaks per client": [len(c.id_breaks) for c in clients],
            "late (hist) readings per client": [c.hist_events for c in clients],
            "reconnects per client": [c.connections - 1 for c in clients],
            "resumed by Last-Event-ID per client": [c.resumed for c in clients],
            "gateway duplicates dropped": metric(metrics, "pigw_gateway_duplicates_total"),
            "gateway gaps opened": metric(metrics, 'pigw_gateway_seq_gaps_total{what="opened"}'),
            "gateway replay requests": metric(metrics, "pigw_gateway_replay_requests_total"),
        }
    )
    assert contiguous(expected), "the agent's own seqs have a hole"
    for client in clients:
        assert expected <= client.event_seqs(DEVICE), client.name
        assert client.duplicates == [], client.name
        assert client.id_breaks == [], client.name
        assert client.resets == [], client.name
        assert client.resumed >= 1 or client.connections == 1, client.name


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def contiguous(seqs: set[int]) -> bool:
    return seqs == set(range(min(seqs), max(seqs) + 1))


def test_broker_sigkill_and_restart_loses_and_repeats_nothing(
    broker: Mosquitto, system: System, figures: Figures
) -> None:
    broker_crashes(broker, system, figures, crashes=2, outage_readings=100, between_readings=100)


@pytest.mark.soak
@pytest.mark.timeout(900)  # minutes by design; the suite-wide 300 s is for `make test`
def test_soak_broker_sigkill_and_restart_loses_and_repeats_nothing(
    broker: Mosquitto, system: System, figures: Figures
) -> None:
    # ~12 s between crashes: longer than the 10 s after which the gateway resets its backoff.
    broker_crashes(broker, system, figures, crashes=10, outage_readings=250, between_readings=600)
