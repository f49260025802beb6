"""End to end: the real ``pigw-agent --simulate``, the real broker, the real gateway."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.agent.support import agent_process, running
from tests.gateway.support import Gateway, SseClient, readings
from tests.support.broker import Mosquitto

pytestmark = pytest.mark.integration


def test_a_simulated_agent_shows_up_streams_readings_and_obeys_a_command(
    start_gateway: Callable[..., Gateway], broker: Mosquitto, tmp_path: Path
) -> None:
    gateway = start_gateway()
    with running(agent_process(broker, tmp_path, "sim-pi")):
        client = SseClient(gateway.url + "/api/events?device=sim-pi").start()
        try:
            client.wait_for(
                lambda ev: (
                    any(e.event == "status" and e.data["online"] for e in ev)
                    or any(
                        d["online"] for s in ev if s.event == "snapshot" for d in s.data["devices"]
                    )
                ),
                30,
                "the agent to be online",
            )
            device = gateway.get("/api/devices/sim-pi").json()
            assert device["meta"]["id"] == "sim-pi"
            assert {"relay1", "led1", "pwm1"} <= set(device["actuators"])
            assert len(device["sensors"]) >= 3
            ack = gateway.post("/api/devices/sim-pi/actuators/relay1", json={"value": "ON"})
            assert ack.status_code == 200 and ack.json()["status"] == "ok"
            client.wait_for(
                lambda ev: any(
                    e.event == "actuator" and e.data["actuator"] == "relay1" and e.data["value"]
                    for e in ev
                ),
                30,
                "relay1's new state",
            )
            client.wait_for(readings, 60, "a live reading")
            # Everything the real agent publishes passes the gateway's contract checks.
            assert "pigw_gateway_mqtt_rejected_total{" not in gateway.get("/metrics").text
            assert gateway.get("/api/devices/sim-pi").json()["actuators"]["relay1"]["value"] is True
        finally:
            client.close()
