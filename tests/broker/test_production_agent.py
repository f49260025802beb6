"""The real agent and gateway against the real production broker: ``pigw-agent --simulate`` and
``pigw-gateway`` log in with their own accounts over the TLS listener (``mqtts://``, password file,
CA file), and everything they need to do passes the ACL — the agent's readings, status and meta
arrive, a command from the gateway's account reaches it and is acknowledged, and the gateway
publishes the device's Home Assistant discovery (devices may not, issue 17)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pigw.contract import Topics, decode_ack, decode_state
from tests.broker.conftest import ProductionBroker
from tests.gateway.support import Gateway
from tests.support.processes import ManagedProcess, venv_command
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
TOPICS = Topics()
DEVICE = "dev1"


@contextmanager
def simulated_agent(broker: ProductionBroker, folder: Path) -> Iterator[ManagedProcess]:
    installation = broker.installation
    argv = [
        venv_command("pigw-agent"), "--simulate", "--device-id", DEVICE,
        "--mqtt-url", f"mqtts://127.0.0.1:{broker.tls_port}",
        "--mqtt-username", DEVICE,
        "--mqtt-password-file", str(installation.password_file(DEVICE)),
        "--mqtt-ca-file", str(installation.ca_file),
        "--outbox", str(folder / "outbox.sqlite"),
    ]  # fmt: skip
    agent = ManagedProcess(
        argv,
        folder / "agent.log",
    ).start()
    try:
        yield agent
    finally:
        agent.stop(20)
        print(f"--- agent log ---\n{agent.tail()}")


def test_the_simulated_agent_delivers_through_tls_and_the_acl(
    production_broker: ProductionBroker, tmp_path: Path
) -> None:
    gateway = production_broker.login("_gateway")
    gateway.subscribe(TOPICS.all_filter())

    with simulated_agent(production_broker, tmp_path):
        assert gateway.wait_for(TOPICS.status(DEVICE), timeout=30)[-1].payload == b"online"
        gateway.wait_for(TOPICS.meta(DEVICE))

        def sensor_states() -> dict[str, list[int]]:
            seqs: dict[str, list[int]] = {}
            for message in gateway.messages:
                parsed = TOPICS.parse(message.topic)
                if parsed.kind == "state" and parsed.point is not None:
                    seqs.setdefault(parsed.point, []).append(decode_state(message.payload).seq)
            return seqs

        readings = wait_until(
            lambda: len(found := sensor_states()) >= 3 and found, 30, "states of 3 points"
        )
        all_seqs = sorted(seq for seqs in readings.values() for seq in seqs)
        assert len(set(all_seqs)) == len(all_seqs)  # one seq per state message

        # A command from the gateway's account reaches the agent, whose ack comes back.
        command = TOPICS.command(DEVICE, "relay1")
        assert not gateway.publish(command, b'{"value": true, "cid": "c-1"}').is_failure
        ack_topic = TOPICS.ack(DEVICE, "relay1")
        ack = decode_ack(gateway.wait_for(ack_topic, timeout=30)[-1].payload)
        assert (ack.cid, ack.status) == ("c-1", "ok")
        wait_until(
            lambda: any(
                m.topic == TOPICS.state(DEVICE, "relay1") and decode_state(m.payload).value is True
                for m in gateway.messages
            ),
            30,
            "relay1's new state",
        )


def test_the_real_gateway_serves_the_agent_through_tls_and_the_acl(
    production_broker: ProductionBroker, tmp_path: Path
) -> None:
    # The gateway as deploy/systemd runs it: its own account, password file and CA, mqtts://.
    installation = production_broker.installation
    gateway = Gateway(
        tmp_path / "gateway",
        f"mqtts://127.0.0.1:{production_broker.tls_port}",
        "--mqtt-username", "_gateway",
        "--mqtt-password-file", str(installation.password_file("_gateway")),
        "--mqtt-ca-file", str(installation.ca_file),
        "--ha-discovery",
    )  # fmt: skip
    home_assistant = production_broker.login("_homeassistant")
    home_assistant.subscribe(TOPICS.discovery(DEVICE))
    with simulated_agent(production_broker, tmp_path):
        gateway.start(ready=False)
        try:
            gateway.wait_ready(30)

            def device() -> dict[str, Any] | None:
                answer = gateway.get(f"/api/devices/{DEVICE}")
                return answer.json() if answer.status_code == 200 else None

            def read(doc: dict[str, Any] | None) -> int:
                """How many of the device's sensors have a reading, when it is online."""
                if doc is None or not doc["online"]:
                    return 0
                return sum(point["seq"] is not None for point in doc["sensors"].values())

            wait_until(lambda: read(device()) >= 3, 30, "dev1 online with 3 sensors' readings")
            # A command through the REST API: published with the gateway's account, acked by the
            # agent, the ack read back through the ACL.
            answer = gateway.post(f"/api/devices/{DEVICE}/actuators/relay1", json={"value": True})
            assert answer.status_code == 200, answer.text
            assert answer.json()["status"] == "ok"
            # Home Assistant gets the device's discovery from the gateway, every topic in it the
            # device's own (the agent's own discovery publish is refused by the ACL).
            document = json.loads(home_assistant.wait_for(TOPICS.discovery(DEVICE), 30)[-1].payload)
            topics = [
                value
                for component in document["components"].values()
                for key, value in component.items()
                if key.endswith("_topic")
            ]
            assert "pigw/dev1/relay1/set" in topics
            assert all(topic.startswith(f"pigw/{DEVICE}/") for topic in topics)
        finally:
            gateway.stop()
            print(f"--- gateway log ---\n{gateway.process.tail()}")
