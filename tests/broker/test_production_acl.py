"""The production ACL (``mosquitto/acl.example``) on the real broker: who may write and read what.

A "never sees it" claim is checked with a marker: after the forbidden message, something the
observer IS allowed to see goes through the same broker; once the marker has arrived, the forbidden
message would have arrived before it (Mosquitto routes a publish to every subscriber before it
answers the PUBACK, and keeps each subscriber's messages in order).
"""

from __future__ import annotations

import pytest

from pigw.contract import Topics
from tests.broker.accounts import NOT_AUTHORIZED
from tests.broker.conftest import ProductionBroker

pytestmark = pytest.mark.integration
TOPICS = Topics()
STATE = b'{"value": 21.5, "unit": "\xc2\xb0C", "ts": "2026-11-24T06:00:00.123Z", "seq": 1, "boot": "b1"}'


def test_a_device_publishes_its_own_state_and_the_gateway_reads_it(
    production_broker: ProductionBroker,
) -> None:
    gateway = production_broker.login("_gateway")
    device = production_broker.login("dev1")
    gateway.subscribe(TOPICS.all_filter())
    for topic, payload in [
        (TOPICS.status("dev1"), b"online"),
        (TOPICS.meta("dev1"), b"{}"),
        (TOPICS.state("dev1", "temp1"), STATE),
        (TOPICS.availability("dev1", "temp1"), b"online"),
        (TOPICS.backlog("dev1"), b"[]"),
        (TOPICS.ack("dev1", "relay1"), b"{}"),
    ]:
        assert not device.publish(topic, payload).is_failure, topic
        assert gateway.wait_for(topic)[0].payload == payload


def test_a_device_cannot_publish_as_another_device(production_broker: ProductionBroker) -> None:
    gateway = production_broker.login("_gateway")
    gateway.subscribe(TOPICS.all_filter())
    intruder = production_broker.login("dev1")
    forged = [
        TOPICS.state("dev2", "temp1"),
        TOPICS.status("dev2"),
        TOPICS.meta("dev2"),
        TOPICS.backlog("dev2"),
        TOPICS.ack("dev2", "relay1"),
        TOPICS.command("dev2", "relay1"),  # commanding another device is the gateway's job
        TOPICS.gateway_status("gw1"),  # nor may a device pretend to be a gateway
    ]
    for topic in forged:
        assert intruder.publish(topic, b"forged", retain=True).value == NOT_AUTHORIZED, topic

    marker = TOPICS.status("dev1")
    intruder.publish(marker, b"online")
    gateway.wait_for(marker)
    assert [m.topic for m in gateway.messages] == [marker]

    # Nor did any of it become retained state that a later subscriber would get.
    late = production_broker.login("_gateway")
    late.subscribe(TOPICS.all_filter())
    intruder.publish(marker, b"still online")
    assert late.wait_for(marker)[-1].payload == b"still online"
    assert not {m.topic for m in late.messages} & set(forged)


def test_a_device_reads_its_own_commands_and_replay_requests_and_nothing_else(
    production_broker: ProductionBroker,
) -> None:
    device = production_broker.login("dev1")
    other = production_broker.login("dev2")
    gateway = production_broker.login("_gateway")
    # Subscribing is allowed (Mosquitto grants the SUBACK); the ACL filters each delivery.
    for topic_filter in (TOPICS.all_filter(), TOPICS.command("dev2", "relay1"), "pigw/+/+/set"):
        assert [code.value for code in device.subscribe(topic_filter)] == [1]

    assert not gateway.publish(TOPICS.command("dev2", "relay1"), b"ON").is_failure
    assert not gateway.publish(TOPICS.replay("dev2"), b'{"from_seq": 1, "to_seq": 2}').is_failure
    assert not other.publish(TOPICS.state("dev2", "temp1"), STATE).is_failure
    assert not gateway.publish(TOPICS.command("dev1", "relay1"), b"OFF").is_failure
    assert not gateway.publish(TOPICS.replay("dev1"), b'{"from_seq": 3, "to_seq": 4}').is_failure

    device.wait_for(TOPICS.replay("dev1"))
    received = {m.topic for m in device.messages}
    assert received == {TOPICS.command("dev1", "relay1"), TOPICS.replay("dev1")}
    # A device does not even read its own states back: they are for the consumers.
    assert not device.publish(TOPICS.state("dev1", "temp1"), STATE).is_failure
    assert not gateway.publish(TOPICS.command("dev1", "led1"), b"ON").is_failure
    device.wait_for(TOPICS.command("dev1", "led1"))
    assert TOPICS.state("dev1", "temp1") not in {m.topic for m in device.messages}


def test_a_device_cannot_hijack_another_devices_commands_through_home_assistant_discovery(
    production_broker: ProductionBroker,
) -> None:
    # Issue 17 (4): with the right to write its own discovery topic, a device could announce an
    # entity whose command_topic is another device's /set. Now only the gateway writes discovery.
    device = production_broker.login("dev1")
    gateway = production_broker.login("_gateway")
    home_assistant = production_broker.login("_homeassistant")
    home_assistant.subscribe("homeassistant/#")
    hijack = (
        b'{"device": {"identifiers": ["x"]}, "origin": {"name": "x"}, "components": {"r": '
        b'{"platform": "switch", "unique_id": "x", "command_topic": "pigw/dev2/relay1/set"}}}'
    )
    for topic in (TOPICS.discovery("dev1"), TOPICS.discovery("dev2")):
        assert device.publish(topic, hijack, retain=True).value == NOT_AUTHORIZED, topic
    assert device.publish(TOPICS.ha_status(), b"online").value == NOT_AUTHORIZED

    # The gateway's account publishes the discovery (built from the validated meta).
    assert not gateway.publish(TOPICS.discovery("dev1"), b"{}", retain=True).is_failure
    assert [m.payload for m in home_assistant.wait_for(TOPICS.discovery("dev1"))] == [b"{}"]
    assert TOPICS.discovery("dev2") not in {m.topic for m in home_assistant.messages}


def test_a_device_cannot_publish_topics_outside_the_contracts_shapes(
    production_broker: ProductionBroker,
) -> None:
    # Issue 17 (5): `pattern write pigw/%u/#` let a device write any topic under its id.
    device = production_broker.login("dev1")
    watcher = production_broker.login("_gateway")
    watcher.subscribe(TOPICS.all_filter())
    for topic in (
        "pigw/dev1/invented",
        "pigw/dev1/a/b/c",
        "pigw/dev1/temp1/state/extra",
        TOPICS.command("dev1", "relay1"),  # its own commands: the gateway's and HA's job
        TOPICS.replay("dev1"),
    ):
        assert device.publish(topic, b"x").value == NOT_AUTHORIZED, topic
    marker = TOPICS.status("dev1")
    device.publish(marker, b"online")
    watcher.wait_for(marker)
    assert [m.topic for m in watcher.messages] == [marker]


def test_the_gateway_reads_everything_and_sends_commands_and_replay_requests(
    production_broker: ProductionBroker,
) -> None:
    gateway = production_broker.login("_gateway")
    device = production_broker.login("dev1")
    gateway.subscribe(TOPICS.all_filter())
    device.subscribe(TOPICS.all_filter())

    assert not gateway.publish(TOPICS.command("dev1", "relay1"), b"ON").is_failure
    assert not gateway.publish(TOPICS.replay("dev1"), b'{"from_seq": 1, "to_seq": 9}').is_failure
    assert device.wait_for(TOPICS.command("dev1", "relay1"))[0].payload == b"ON"
    device.wait_for(TOPICS.replay("dev1"))
    # Its own availability (retained, and its Last Will topic).
    status = TOPICS.gateway_status("gw1")
    assert not gateway.publish(status, b"online", retain=True).is_failure
    # Everything devices publish reaches it.
    assert not device.publish(TOPICS.state("dev1", "temp1"), STATE).is_failure
    assert gateway.wait_for(TOPICS.state("dev1", "temp1"))[0].payload == STATE


def test_the_gateway_cannot_publish_device_state(production_broker: ProductionBroker) -> None:
    gateway = production_broker.login("_gateway")
    watcher = production_broker.login("_homeassistant")
    watcher.subscribe(TOPICS.all_filter())
    forged = [
        TOPICS.state("dev1", "temp1"),
        TOPICS.status("dev1"),
        TOPICS.meta("dev1"),
        TOPICS.backlog("dev1"),
        TOPICS.availability("dev1", "temp1"),
        TOPICS.ack("dev1", "relay1"),
    ]
    for topic in forged:
        assert gateway.publish(topic, b"forged").value == NOT_AUTHORIZED, topic
    marker = TOPICS.command("dev1", "relay1")
    gateway.publish(marker, b"ON")
    watcher.wait_for(marker)
    assert [m.topic for m in watcher.messages] == [marker]


def test_home_assistant_reads_states_and_commands_but_cannot_forge_them(
    production_broker: ProductionBroker,
) -> None:
    home_assistant = production_broker.login("_homeassistant")
    device = production_broker.login("dev1")
    home_assistant.subscribe(TOPICS.all_filter())
    device.subscribe(TOPICS.all_filter())
    device.publish(TOPICS.state("dev1", "temp1"), STATE)
    home_assistant.wait_for(TOPICS.state("dev1", "temp1"))
    assert not home_assistant.publish(TOPICS.command("dev1", "relay1"), b"ON").is_failure
    device.wait_for(TOPICS.command("dev1", "relay1"))
    assert home_assistant.publish(TOPICS.state("dev1", "temp1"), b"x").value == NOT_AUTHORIZED
    assert home_assistant.publish(TOPICS.discovery("dev1"), b"{}").value == NOT_AUTHORIZED
    assert home_assistant.publish(TOPICS.replay("dev1"), b"{}").value == NOT_AUTHORIZED


def test_the_gateway_publishes_alerts_and_consumers_read_them_but_devices_cannot_forge_them(
    production_broker: ProductionBroker,
) -> None:
    gateway = production_broker.login("_gateway")
    device = production_broker.login("dev1")
    home_assistant = production_broker.login("_homeassistant")
    home_assistant.subscribe(TOPICS.alerts_filter())
    alert = TOPICS.alert("tank-low", "dev1", "tank")
    assert device.publish(TOPICS.alert("tank-low", "dev1"), b"forged").value == NOT_AUTHORIZED
    assert not gateway.publish(alert, b'{"state": "firing"}', retain=True).is_failure
    (seen,) = home_assistant.wait_for(alert)
    assert seen.payload == b'{"state": "firing"}'
    assert [m.topic for m in home_assistant.messages] == [alert]  # the forged one never came
