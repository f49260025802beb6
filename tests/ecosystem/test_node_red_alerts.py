"""The alerts flow of docs/node-red/ in a real Node-RED, fed by the retained alert topic.

The alert JSON is the gateway's own encoding (:meth:`Alert.payload` on the topic the MQTT notifier
uses), published retained at QoS 1 as the notifier does; the gateway end of that path is tested in
tests/alerts/test_gateway_alerts.py. Pure checks of the file come first.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from gateway.alerts.alert import Alert
from pigw.contract import TopicKind, Topics
from tests.ecosystem.node_red import NodeRed, editor_comms
from tests.support.broker import Mosquitto
from tests.support.mqtt import recorder
from tests.support.processes import REPO

TOPICS = Topics()
FLOW_PATH = REPO / "docs" / "node-red" / "pigw-alerts-flow.json"
T0 = 1_780_000_000.0


def load_flow() -> list[dict[str, Any]]:
    flow: list[dict[str, Any]] = json.loads(FLOW_PATH.read_text(encoding="utf-8"))
    return flow


def test_the_alerts_flow_subscribes_to_the_alert_topics_and_its_wires_resolve() -> None:
    flow = load_flow()
    known = {node["id"] for node in flow}
    assert len(known) == len(flow)
    for node in flow:
        for output in node.get("wires", []):
            assert set(output) <= known, node["id"]
    (subscription,) = [node for node in flow if node["type"] == "mqtt in"]
    assert subscription["topic"] == TOPICS.alerts_filter() and subscription["qos"] == "1"
    assert TOPICS.parse("pigw/_alerts/r/d/p").kind is TopicKind.ALERT
    (broker,) = [node for node in flow if node["type"] == "mqtt-broker"]
    assert (broker["broker"], broker["port"]) == ("127.0.0.1", "1883")


@pytest.mark.integration
def test_node_red_splits_alerts_into_firing_and_resolved(
    broker: Mosquitto, tmp_path: Path, node_red_js: Path
) -> None:
    flow = copy.deepcopy(load_flow())
    for node in flow:
        if node["type"] == "mqtt-broker":
            node["port"] = str(broker.port)
    firing = Alert("tank-low", "garden", "tank", "firing", "critical", 12.5, T0, T0 + 60, 1)
    resolved = firing.moved("resolved", T0 + 600, value=26.0, seq=2)
    topic = TOPICS.alert("tank-low", "garden", "tank")
    node_red = NodeRed(node_red_js, tmp_path / "node-red", flow)
    with recorder(broker.host, broker.port) as mqtt:
        # Retained before Node-RED starts: a flow deployed later still hears the alert.
        mqtt.publish(topic, firing.payload(), qos=1, retain=True)
        node_red.start()
        try:
            with editor_comms(node_red) as comms:
                shown = comms.wait_for(
                    "pigw-alert-firing-debug",
                    lambda entry: "is firing" in str(entry.payload),
                    "Node-RED showing the firing alert",
                )
                assert shown.topic == "critical: tank-low on garden/tank"
                assert "(12.5)" in str(shown.payload)
                mqtt.publish(topic, resolved.payload(), qos=1, retain=True)
                done = comms.wait_for(
                    "pigw-alert-resolved-debug",
                    lambda entry: "is resolved" in str(entry.payload),
                    "Node-RED showing the resolved alert",
                )
                assert "(26)" in str(done.payload)
                assert len(comms.from_node("pigw-alert-firing-debug")) == 1
        finally:
            node_red.stop()
            print(f"--- node-red.log ---\n{node_red.process.tail()}")
