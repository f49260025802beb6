"""The example Node-RED flow, in a real Node-RED, against the real broker and a simulated agent.

Node-RED is installed from npm into a temporary folder and runs the flow from
``docs/node-red/`` with only the broker port and the device id changed. The test watches Node-RED
the way its editor does (debug output over the admin websocket), presses the flow's inject buttons
through the admin API, and watches the broker with its own MQTT client.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pigw.contract import AckStatus, Topics, decode_ack, decode_command, decode_state
from tests.ecosystem.node_red import (
    DebugOutput,
    EditorComms,
    NodeRed,
    editor_comms,
    flow_for,
    load_example_flow,
)
from tests.support.broker import Mosquitto
from tests.support.mqtt import Recorder, recorder
from tests.support.processes import ManagedProcess, venv_command
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

TOPICS = Topics()
DEVICE = "nr-pi"


@contextmanager
def running(process: ManagedProcess) -> Iterator[ManagedProcess]:
    try:
        yield process
    finally:
        process.stop(20)
        print(f"--- {process.log_path.name} ---\n{process.tail()}")


def switch_relay(
    node_red: NodeRed, comms: EditorComms, watch: Recorder, button: str, value: bool
) -> None:
    """Press ``button`` in Node-RED; the command must follow the contract, reach the simulated
    relay (its new state on the broker) and come back to Node-RED as an ``ok`` acknowledgement."""
    set_topic = TOPICS.command(DEVICE, "relay1")
    ack_topic = TOPICS.ack(DEVICE, "relay1")
    state_topic = TOPICS.state(DEVICE, "relay1")
    commands_before = len(watch.on(set_topic))
    node_red.inject(button)

    sent = watch.wait_for(set_topic, count=commands_before + 1)[-1]
    assert not sent.retain
    command = decode_command(sent.payload)
    assert command.value is value
    assert command.cid is not None and command.exp is not None

    ack = wait_until(
        lambda: next(
            (a for m in watch.on(ack_topic) if (a := decode_ack(m.payload)).cid == command.cid),
            None,
        ),
        30,
        f"the agent's ack of {command.cid}",
    )
    assert (ack.status, ack.value) == (AckStatus.OK, value)
    wait_until(
        lambda: any(decode_state(m.payload).value is value for m in watch.on(state_topic)),
        30,
        f"relay1's state {value} on the broker",
    )

    shown = comms.wait_for(
        "pigw-ack-debug",
        lambda entry: entry.payload["cid"] == command.cid,
        f"Node-RED showing the ack of {command.cid}",
    )
    assert shown.topic == ack_topic
    assert shown.payload["status"] == "ok"
    assert shown.payload["value"] is value
    assert shown.payload["ours"] is True  # matched to the command this flow sent
    comms.wait_for(
        "pigw-relay-state-debug",
        lambda entry: entry.payload["value"] is value,
        f"Node-RED showing relay1 = {value}",
    )


def test_node_red_example_flow_shows_readings_and_switches_the_relay(
    broker: Mosquitto, tmp_path: Path, node_red_js: Path
) -> None:
    agent = ManagedProcess(
        [
            venv_command("pigw-agent"), "--simulate", "--mqtt-url", broker.url,
            "--device-id", DEVICE, "--outbox", str(tmp_path / "outbox.sqlite"),
        ],
        tmp_path / "agent.log",
    )  # fmt: skip
    node_red = NodeRed(
        node_red_js, tmp_path / "node-red", flow_for(load_example_flow(), broker.port, DEVICE)
    )
    with (
        recorder(broker.host, broker.port, f"pigw/{DEVICE}/#") as watch,
        running(agent.start()),
    ):
        assert watch.wait_for(TOPICS.status(DEVICE), timeout=30)[0].payload == b"online"
        with running(node_red.start().process), editor_comms(node_red) as comms:
            # Live readings: Node-RED shows value and seq of at least three sensors, exactly as
            # the agent published them.
            def readings() -> list[DebugOutput]:
                return comms.from_node("pigw-readings-debug")

            wait_until(
                lambda: len({entry.payload["point"] for entry in readings()}) >= 3,
                60,
                "Node-RED showing readings of three sensors",
            )
            published = {
                (m.topic, (state := decode_state(m.payload)).seq): state.value
                for m in watch.messages
                if m.topic.endswith("/state")
            }
            for entry in readings():
                assert entry.payload["device"] == DEVICE
                assert entry.topic == TOPICS.state(DEVICE, entry.payload["point"])
                key = (entry.topic, entry.payload["seq"])
                assert key in published, f"Node-RED showed a reading the agent never sent: {key}"
                assert entry.payload["value"] == published[key]
            seen = [(e.topic, e.payload["seq"]) for e in readings()]
            assert len(seen) == len(set(seen))  # repeated (device, seq) are dropped

            # The relay: ON, then OFF, each acknowledged back into Node-RED.
            switch_relay(node_red, comms, watch, "pigw-relay1-on", True)
            switch_relay(node_red, comms, watch, "pigw-relay1-off", False)
