"""The failover scenario on a real three-node NATS cluster (issue 19), shared by the tests that run
it with different gateway settings (``test_cluster_failover.py``; with the recorder, the "every
reading recorded once" follow-up).

An agent on node 1, two gateway replicas on nodes 2 and 3, two SSE clients on each; retained state
is checked from every node; node 2 (replica a's) is SIGKILLed: replica a moves on and its clients
miss no reading; node 2 comes back; node 1 (the agent's) is SIGKILLed: the agent moves on and its
outbox carries it through. Every seq the agent's outbox holds must reach every client, none twice.

NATS needs time here (docs/scale-out.md): after a SIGKILL, JetStream elects new leaders for ~6 s
and a resumed session gets its CONNACK after ~10 s, so the waits below are long; they wait on the
condition, never for a fixed time.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from pigw.contract import Topics
from tests.gateway.support import Gateway
from tests.reliability import rig
from tests.reliability.rig import DEVICE, Clients, System
from tests.support.nats import Mqtt311Client, NatsCluster, NatsNode
from tests.support.outbox import outbox_seqs, wait_for_readings
from tests.support.waiting import wait_until

TOPICS = Topics()
#: A node kill costs ~6 s of leader election plus ~10 s until a resumed session's CONNACK.
FAILOVER = 90.0
#: A replica's start on a fresh cluster.
READY = 60.0


@dataclass
class Outcome:
    replicas: list[Gateway]
    #: every seq the agent's outbox held when the clients were checked (all of them had all)
    expected: set[int]
    figures: dict[str, float]


def _urls(*nodes: NatsNode) -> list[str]:
    """``--mqtt-url`` flags for ``nodes``, in order (the first is tried first)."""
    return [arg for node in nodes for arg in ("--mqtt-url", node.url)]


def _replica(system: System, name: str, nodes: list[NatsNode], extra: tuple[str, ...]) -> Gateway:
    """A replica trying ``nodes`` in order, with ``extra`` flags."""
    gateway = Gateway(
        system.folder / f"gateway-{name}",
        nodes[0].url,
        "--retry-ms", "500",
        *_urls(*nodes[1:]),
        *extra,
        gateway_id=name,
    )  # fmt: skip
    system.gateways.append(gateway)
    gateway.start(ready=False)
    # The cluster is usable (the fixture probed MQTT on every node), but a replica's first
    # connection also waits for the MQTT session streams' placement: on a loaded machine, more
    # than the 20 s a single-broker gateway gets.
    gateway.wait_ready(READY)
    return gateway


def _every_client_holds(clients: list[Clients], seqs: set[int], timeout: float, what: str) -> None:
    for group in clients:
        try:
            group.wait_all(lambda c, s=seqs: s <= c.event_seqs(DEVICE), timeout, what)
        except AssertionError as exc:
            missing = {c.name: sorted(seqs - c.event_seqs(DEVICE))[:20] for c in group}
            raise AssertionError(f"{exc}; first missing seqs per client: {missing}") from None


def run_failover(
    nats_cluster: NatsCluster, system: System, gateway_args: tuple[str, ...] = ()
) -> Outcome:
    """Run the scenario; ``gateway_args`` go to both replicas."""
    n1, n2, n3 = nats_cluster.nodes
    replica_a = _replica(system, "replica-a", [n2, n3, n1], gateway_args)
    replica_b = _replica(system, "replica-b", [n3, n1, n2], gateway_args)
    for replica in (replica_a, replica_b):
        wait_until(lambda r=replica: "3.1.1" in r.process.output(), 30, "the replica on MQTT 3.1.1")
    clients_a = system.browsers(replica_a.url, count=2)
    clients_b = system.browsers(replica_b.url, count=2)
    # The agent's own list: node 1 first, then 2 and 3.
    agent = rig.agent_process(system.folder / "agent", n1.url, extra=_urls(n2, n3))
    system.processes.append(agent)
    agent.start()
    wait_until(lambda: "starting" in agent.output(), 30, "the agent to start")
    outbox = rig.outbox_path(system.folder / "agent")
    wait_for_readings(outbox, 200)
    _every_client_holds([clients_a, clients_b], set(outbox_seqs(outbox)[:100]), 60, "live")

    # Retained state, published by the agent on node 1, is what a new subscriber gets anywhere.
    for node in nats_cluster.nodes:
        reader = Mqtt311Client(node, f"retained-check-{node.name}")
        try:
            reader.subscribe(TOPICS.meta(DEVICE))
            wait_until(
                lambda r=reader: any(m[0] == TOPICS.meta(DEVICE) and m[2] for m in r.received()),
                30,
                f"the agent's retained meta on {node.name}",
            )
        finally:
            reader.close()

    # Kill replica A's node: A moves to node 3; its clients keep every reading.
    figures: dict[str, float] = {}
    killed_at = time.monotonic()
    nats_cluster.kill(n2)
    clients_a.wait_all(
        lambda c, t=killed_at: c.first_broker_after(True, t), FAILOVER, "replica A reconnected"
    )
    figures["gateway node killed -> replica back (ms)"] = rig.elapsed_ms(killed_at)
    moved = replica_a.process.output().rsplit("connected to the broker mqtt=", 1)[-1]
    assert not moved.startswith(f"'{n2.url}'"), moved  # on node 3 (or node 1, if 3 refused)
    made = set(outbox_seqs(outbox))
    _every_client_holds([clients_a, clients_b], made, FAILOVER, "every seq across the kill")
    figures["gateway node killed -> every seq at every client (ms)"] = rig.elapsed_ms(killed_at)
    nats_cluster.restart(n2)  # JetStream needs a majority before the next node can go

    # Kill the agent's node: it moves on, its outbox carries what it made meanwhile. (Node 2's
    # restart can already drop node 1's MQTT clients, so the agent may have moved before the kill:
    # what counts is the node it is connected to now, not a connect line after the kill.)
    killed_at = time.monotonic()
    nats_cluster.kill(n1)
    wait_until(
        lambda: _last_broker(agent.output()) in (n2.url, n3.url),
        FAILOVER,
        "the agent connected to another node",
    )
    figures["agent node killed -> agent connected elsewhere (ms)"] = rig.elapsed_ms(killed_at)
    wait_for_readings(outbox, 100, timeout=FAILOVER)
    # The agent keeps running: what it made while it was moving is still unacknowledged in its
    # outbox and goes out when the cluster takes it (or when a gateway asks for a replay).
    expected = set(outbox_seqs(outbox))
    _every_client_holds([clients_a, clients_b], expected, FAILOVER, "every seq the agent made")
    figures["agent node killed -> every seq at every client (ms)"] = rig.elapsed_ms(killed_at)
    figures["seqs made"] = len(expected)
    print("\n--- cluster figures ---", *(f"{k}: {v}" for k, v in figures.items()), sep="\n")
    return Outcome([replica_a, replica_b], expected, figures)
    for group in (clients_a, clients_b):
        assert [len(c.duplicates) for c in group] == [0] * len(group.streams)
        assert [len(c.id_breaks) for c in group] == [0] * len(group.streams)


def _last_broker(agent_output: str) -> str | None:
    """The URL of the broker the agent connected to last, from its log."""
    found = re.findall(r"connected to the broker broker='([^']+)'", agent_output)
    return found[-1] if found else None
