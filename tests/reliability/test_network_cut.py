"""Scenario 4: the network between a client and the broker is cut without any clean close — the
agent's link first, then the gateway's — and healed once the cut was noticed. Only keepalives can
notice such a cut: the agent's and the gateway's own (they drop the link and reconnect), and the
broker's (it publishes the agent's Last Will). When the network heals everything recovers and
every browser-side client holds every seq the agent made, with no duplicate shown.

The cut is :class:`~tests.support.proxy.BlackholeProxy`: both MQTT clients reach the broker
through one each.
"""

from __future__ import annotations

import time

import pytest

from tests.reliability import rig
from tests.reliability.conftest import Figures
from tests.reliability.rig import DEVICE, System
from tests.support.broker import Mosquitto
from tests.support.outbox import outbox_seqs
from tests.support.proxy import BlackholeProxy
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

KEEPALIVE = 5  # seconds, for the agent and the gateway (the smallest the settings accept)


def network_cuts(broker: Mosquitto, system: System, figures: Figures, *, cuts: int) -> None:
    agent_link = BlackholeProxy(broker.port, "agent-link").start()
    gateway_link = BlackholeProxy(broker.port, "gateway-link").start()
    system.closers += [agent_link, gateway_link]
    gateway = system.gateway(gateway_link.url, "--mqtt-keepalive", str(KEEPALIVE))
    clients = system.browsers(gateway.url)
    agent = system.agent(agent_link.url, keepalive=KEEPALIVE)
    outbox = rig.outbox_path(system.folder / "agent")
    clients.wait_all(lambda c: len(c.event_seqs(DEVICE)) >= 100, 30, "100 live readings")
    results: dict[str, list[float]] = {
        "agent link cut -> agent noticed ms": [],
        "agent link cut -> offline (broker's Will) at every client ms": [],
        "agent link healed -> online at every client ms": [],
        "gateway link cut -> gateway noticed (broker event at every client) ms": [],
        "gateway link healed -> broker back at every client ms": [],
        "heal -> every client holds every seq ms": [],
    }
    for _ in range(cuts):
        # The agent's link: the agent's keepalive notices it, the broker's publishes the Will.
        losses = rig.log_times(agent, "lost the broker")
        cut_at = time.monotonic()
        agent_link.cut()
        noticed = wait_until(
            lambda n=losses: rig.log_times(agent, "lost the broker") > n and time.monotonic(),
            60,
            "the agent to notice the cut",
        )
        results["agent link cut -> agent noticed ms"].append(rig.elapsed_ms(cut_at, noticed))
        offline = wait_for_every_client(
            clients, lambda c, t=cut_at: c.first_status_after(DEVICE, False, t), "offline"
        )
        results["agent link cut -> offline (broker's Will) at every client ms"].append(
            rig.elapsed_ms(cut_at, offline)
        )
        healed_at = time.monotonic()
        agent_link.heal()
        online = wait_for_every_client(
            clients, lambda c, t=healed_at: c.first_status_after(DEVICE, True, t), "online"
        )
        results["agent link healed -> online at every client ms"].append(
            rig.elapsed_ms(healed_at, online)
        )
        converged(clients, outbox, healed_at, results)
        # The gateway's link: the gateway's keepalive notices it, its session keeps what the
        # agent publishes meanwhile.
        cut_at = time.monotonic()
        gateway_link.cut()
        lost = wait_for_every_client(
            clients, lambda c, t=cut_at: c.first_broker_after(False, t), "broker: lost"
        )
        results["gateway link cut -> gateway noticed (broker event at every client) ms"].append(
            rig.elapsed_ms(cut_at, lost)
        )
        healed_at = time.monotonic()
        gateway_link.heal()
        back = wait_for_every_client(
            clients, lambda c, t=healed_at: c.first_broker_after(True, t), "broker: back"
        )
        results["gateway link healed -> broker back at every client ms"].append(
            rig.elapsed_ms(healed_at, back)
        )
        converged(clients, outbox, healed_at, results)
    agent.stop(20)
    expected = set(outbox_seqs(outbox))
    clients.wait_all(lambda c: expected <= c.event_seqs(DEVICE), 30, "the last seqs")
    figures.update(
        {
            "keepalive s (agent and gateway)": KEEPALIVE,
            "cuts of each link": cuts,
            **results,
            "seqs made (device total)": len(expected),
            "missing per client": clients.missing(expected),
            "duplicates shown per client": [len(c.duplicates) for c in clients],
            "event id breaks per client": [len(c.id_breaks) for c in clients],
        }
    )
    for client in clients:
        assert expected <= client.event_seqs(DEVICE), client.name
        assert client.duplicates == [], client.name
        assert client.id_breaks == [], client.name
        assert client.resets == [], client.name


def wait_for_every_client(clients: rig.Clients, when: object, what: str) -> float:
    """Wait until ``when(client)`` gives a time for every client; return the latest."""
    found = wait_until(
        lambda: (times := [when(c) for c in clients]) and None not in times and times,  # type: ignore[operator]
        60,
        f"{what} at every client",
    )
    return max(found)


def converged(
    clients: rig.Clients, outbox: object, healed_at: float, results: dict[str, list[float]]
) -> None:
    """Every client holds every seq the agent made up to now."""
    made = set(outbox_seqs(outbox))  # type: ignore[arg-type]
    clients.wait_all(lambda c: made <= c.event_seqs(DEVICE), 60, "every seq made so far")
    results["heal -> every client holds every seq ms"].append(rig.elapsed_ms(healed_at))


def test_a_silent_network_cut_is_noticed_by_keepalive_and_loses_nothing(
    broker: Mosquitto, system: System, figures: Figures
) -> None:
    network_cuts(broker, system, figures, cuts=1)


@pytest.mark.soak
@pytest.mark.timeout(900)  # minutes by design; the suite-wide 300 s is for `make test`
def test_soak_silent_network_cuts_are_noticed_by_keepalive_and_lose_nothing(
    broker: Mosquitto, system: System, figures: Figures
) -> None:
    network_cuts(broker, system, figures, cuts=5)
