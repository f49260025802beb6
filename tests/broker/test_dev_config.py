"""The dev broker config (``mosquitto/dev.conf``) as the fixture runs it: real Mosquitto, loopback."""

from __future__ import annotations

import pytest

from pigw.contract import MAX_PACKET_BYTES, Topics
from tests.support.broker import DEV_CONF, Mosquitto, render_config
from tests.support.mqtt import recorder
from tests.support.ports import accepts_connections

pytestmark = pytest.mark.integration
TOPICS = Topics()


def test_render_moves_only_the_loopback_listener() -> None:
    text = render_config(DEV_CONF, 31883)
    assert "listener 31883 127.0.0.1" in text
    assert "listener 1883" not in text
    assert "allow_anonymous true" in text


def test_retained_state_reaches_a_late_subscriber(broker: Mosquitto) -> None:
    topic = TOPICS.state("dev1", "temp1")
    with recorder(broker.host, broker.port) as publisher:
        publisher.publish(topic, b'{"value": 1}', retain=True)
    with recorder(broker.host, broker.port, "pigw/#") as late:
        (message,) = late.wait_for(topic)
        assert message.retain
        assert message.payload == b'{"value": 1}'


def test_broker_stops_and_starts_again_on_the_same_port(broker: Mosquitto) -> None:
    port = broker.port
    broker.kill()
    assert not accepts_connections(port)
    broker.start()
    assert broker.port == port
    with recorder(broker.host, broker.port, "pigw/#") as client:
        client.publish("pigw/dev1/status", b"online")
        client.wait_for("pigw/dev1/status")


def test_dev_broker_keeps_nothing_across_a_restart(broker: Mosquitto) -> None:
    # persistence is off on purpose: agents republish their retained state on reconnect.
    with recorder(broker.host, broker.port) as client:
        client.publish("pigw/dev1/status", b"online", retain=True)
    broker.restart()
    with recorder(broker.host, broker.port, "pigw/#") as client:
        client.publish("pigw/dev1/meta", b"{}")
        client.wait_for("pigw/dev1/meta")
        assert client.on("pigw/dev1/status") == []


def test_packets_over_the_contract_limit_are_refused(broker: Mosquitto) -> None:
    with (
        recorder(broker.host, broker.port, "pigw/#") as watcher,
        recorder(broker.host, broker.port) as offender,
    ):
        offender.client.publish("pigw/dev1/backlog", b"x" * (MAX_PACKET_BYTES + 1), qos=0)
        broker.process.wait_for_output("oversize packet")
        just_under = b"y" * (MAX_PACKET_BYTES - 1024)  # room for the topic and the header
        watcher.publish("pigw/dev1/backlog", just_under)
        (delivered,) = watcher.wait_for("pigw/dev1/backlog")
        assert delivered.payload == just_under


def test_two_brokers_run_side_by_side(tmp_path_factory: pytest.TempPathFactory) -> None:
    first = Mosquitto(tmp_path_factory.mktemp("a")).start()
    second = Mosquitto(tmp_path_factory.mktemp("b")).start()
    try:
        assert first.port != second.port
        assert accepts_connections(first.port) and accepts_connections(second.port)
    finally:
        first.process.stop()
        second.process.stop()
