"""What pigw relies on from a clustered broker, checked on the real NATS cluster: MQTT 3.1.1 with
QoS 1, retained messages visible from every node, a persistent session that resumes on another
node, and an MQTT 5 CONNECT refused the way the agent's and the gateway's fallback expects."""

from __future__ import annotations

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.nats import Mqtt311Client as Client311
from tests.support.nats import NatsCluster
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def test_retained_state_published_on_one_node_is_seen_from_every_node(
    nats_cluster: NatsCluster,
) -> None:
    n1, n2, n3 = nats_cluster.nodes
    publisher = Client311(n1, "pub")
    publisher.client.publish(
        "pigw/d1/sensors/t/state", b'{"v":1}', qos=1, retain=True
    ).wait_for_publish(10)
    try:
        for node in (n1, n2, n3):
            reader = Client311(node, f"reader-{node.name}")
            reader.subscribe("pigw/#")
            wait_until(
                lambda r=reader: ("pigw/d1/sensors/t/state", b'{"v":1}', True) in r.received(),
                30,
                f"the retained state on {node.name}",
            )
            reader.close()
    finally:
        publisher.close()


def test_mqtt5_connect_is_refused_as_a_311_broker_refuses_it(nats_cluster: NatsCluster) -> None:
    connack: list[int] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="v5", protocol=mqtt.MQTTv5)
    client.on_connect = lambda _c, _u, _f, rc, _p: connack.append(rc.value)
    client.connect("127.0.0.1", nats_cluster.nodes[0].mqtt_port)
    client.loop_start()
    try:
        wait_until(lambda: connack, 30, "an answer to the MQTT 5 CONNECT")
    finally:
        client.loop_stop()
    # 1 is 3.1.1's "unacceptable protocol version"; paho maps it to 132 for an MQTT 5 client.
    assert connack[0] in (1, 132), connack


def test_a_persistent_session_resumes_on_another_node_after_a_kill(
    nats_cluster: NatsCluster,
) -> None:
    n1, n2, n3 = nats_cluster.nodes
    subscriber = Client311(n2, "pigw-gateway-test", clean=False)
    subscriber.subscribe("pigw/#")
    subscriber.client.loop_stop()
    nats_cluster.kill(n2)
    publisher = Client311(n1, "pub")
    for i in range(20):
        publisher.client.publish("pigw/d1/events", str(i).encode(), qos=1).wait_for_publish(30)
    publisher.close()
    resumed = Client311(n3, "pigw-gateway-test", clean=False)  # NATS holds CONNACK ~10 s here
    try:
        wait_until(
            lambda: len([m for m in resumed.received() if m[0] == "pigw/d1/events"]) >= 20,
            60,
            "every QoS 1 message published while the session was away",
        )
        got = [int(m[1]) for m in resumed.received() if m[0] == "pigw/d1/events"]
        assert sorted(set(got)) == list(range(20))
    finally:
        resumed.close()
