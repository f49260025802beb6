"""The gateway on a broker that speaks only MQTT 3.1.1 (NATS refuses MQTT 5): it falls back, and
commands still round-trip, because they never needed MQTT 5's response topic: the gateway puts its
``cid`` in the command's JSON and the agent's ack names it (docs/gateway.md, "MQTT 3.1.1")."""

from __future__ import annotations

from pathlib import Path

import pytest

from pigw.contract import Topics
from tests.gateway.support import Gateway
from tests.reliability import rig
from tests.support.nats import Mqtt311Client, NatsCluster
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

TOPICS = Topics()


def test_gateway_falls_back_to_311_and_commands_round_trip_by_cid(
    nats_cluster: NatsCluster, tmp_path: Path
) -> None:
    node = nats_cluster.nodes[0]
    watcher = Mqtt311Client(node, "watcher")
    watcher.subscribe(TOPICS.all_filter())
    gateway = Gateway(tmp_path / "gateway", node.url, gateway_id="v311")
    agent = rig.agent_process(tmp_path / "agent", node.url)
    try:
        gateway.start()
        log = gateway.process.output()
        assert "does not speak MQTT 5; using 3.1.1" in log
        assert "client_id='pigw-gateway-v311' protocol='3.1.1'" in log
        agent.start()
        wait_until(
            lambda: (
                gateway.get(f"/api/devices/{rig.DEVICE}").status_code == 200
                and gateway.get(f"/api/devices/{rig.DEVICE}").json()["online"]
            ),
            60,
            "the agent online at the gateway",
        )
        ack = gateway.post(f"/api/devices/{rig.DEVICE}/actuators/relay1", json={"value": "ON"})
        assert ack.status_code == 200 and ack.json()["status"] == "ok", ack.text
        command_topic = TOPICS.command(rig.DEVICE, "relay1")
        sent = [m for m in watcher.received() if m[0] == command_topic]
        assert sent and b'"cid"' in sent[-1][1], sent
    finally:
        agent.stop(20)
        gateway.stop()
        watcher.close()
