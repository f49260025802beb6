"""Broker failover on one Mosquitto per "node" (issue 19): with several ``--mqtt-url`` the agent
skips a node that is down, and moves on when its node dies; with one URL nothing changes. The real
cluster scenario is ``tests/cluster/test_cluster_failover.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.agent.support import agent_process, running
from tests.support.broker import Mosquitto
from tests.support.mqtt import recorder
from tests.support.ports import free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def test_agent_skips_a_dead_first_node_and_moves_on_when_its_node_dies(
    broker: Mosquitto, tmp_path: Path
) -> None:
    dead = f"mqtt://127.0.0.1:{free_port()}"  # nothing listens there
    second = Mosquitto(tmp_path / "second").start()
    try:
        agent = agent_process(
            dead, tmp_path, "fo-pi", extra=["--mqtt-url", broker.url, "--mqtt-url", second.url]
        )
        with (
            recorder(second.host, second.port, "pigw/fo-pi/status") as on_second,
            running(agent),
        ):
            wait_until(
                lambda: f"connected to the broker broker='{broker.url}'" in agent.output(),
                30,
                "the agent on the second URL",
            )
            assert f"cannot reach the broker {dead}" in agent.output()
            broker.kill()
            wait_until(
                lambda: f"connected to the broker broker='{second.url}'" in agent.output(),
                30,
                "the agent on the third URL after its node died",
            )
            wait_until(
                lambda: any(m.payload == b"online" for m in on_second.on("pigw/fo-pi/status")),
                30,
                "the agent online on the third node",
            )
    finally:
        second.process.stop()
