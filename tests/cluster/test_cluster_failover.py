"""pigw on a real three-node NATS cluster (issue 19): an agent on node 1, two gateway replicas on
nodes 2 and 3, browser-like SSE clients on each; then the node a gateway is on is SIGKILLed, and
later the agent's node (the scenario is in ``scenario.py``).

What has to hold: retained state is visible from every node; both replicas speak MQTT 3.1.1 (NATS
refuses MQTT 5) with a persistent session; a gateway that loses its node connects to the next URL
and its persistent session hands over what was published meanwhile, so its SSE clients never miss
a reading (the seq ledger: every seq the agent's outbox holds reaches every client); the agent that
loses its node moves on too, and its outbox carries the readings made meanwhile.

NATS needs time here (docs/scale-out.md): after a SIGKILL, JetStream elects new leaders for ~6 s
and a resumed session gets its CONNACK after ~10 s, so the waits below are long; they wait on the
condition, never for a fixed time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.scenario import run_failover
from tests.reliability.rig import System
from tests.support.nats import NatsCluster

pytestmark = pytest.mark.integration


@pytest.fixture
def system(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[System]:
    started = System(tmp_path)
    try:
        yield started
    finally:
        failed = getattr(request.node, "rep_call", None)
        started.close(failed is not None and failed.failed)


def test_replicas_and_agent_survive_losing_their_nodes(
    nats_cluster: NatsCluster, system: System
) -> None:
    outcome = run_failover(nats_cluster, system)
    assert len(outcome.expected) > 0 and all(r.process.running for r in outcome.replicas)
