"""What ``mosquitto/production.conf`` promises besides access control: limits that match the
contract, a restart that loses no retained state and no queued QoS 1 message, and a file that is a
complete configuration on its own."""

from __future__ import annotations

import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from annotated_types import Le
from paho.mqtt.enums import CallbackAPIVersion

from pigw.common_flags import CommonFlags
from pigw.contract import MAX_PACKET_BYTES, Topics
from pigw.settings import CommonSettings
from pigw.struct_settings import describe_settings
from tests.broker.conftest import PRODUCTION_CONF, ProductionBroker
from tests.support.broker import DEV_CONF
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
TOPICS = Topics()


def directives(config: Path) -> dict[str, list[str]]:
    """Every directive of a Mosquitto config file and its values, in order."""
    found: dict[str, list[str]] = {}
    for line in config.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.strip().partition(" ")
            found.setdefault(key, []).append(value.strip())
    return found


@pytest.mark.parametrize("config", [PRODUCTION_CONF, DEV_CONF], ids=["production", "dev"])
def test_the_packet_limit_is_the_contracts(config: Path) -> None:
    assert directives(config)["max_packet_size"] == [str(MAX_PACKET_BYTES)]


def test_every_keepalive_our_commands_accept_is_accepted_by_the_broker() -> None:
    # An MQTT 3.1.1 client asking for more than max_keepalive is refused outright (mosquitto.conf(5)).
    # The gateway's (pydantic) and the agent's (msgspec) declarations of the flag.
    (gateway_bound,) = [
        m.le for m in CommonSettings.model_fields["mqtt_keepalive"].metadata if isinstance(m, Le)
    ]
    (agent_bound,) = [
        s.bounds["le"] for s in describe_settings(CommonFlags) if s.name == "mqtt_keepalive"
    ]
    assert int(directives(PRODUCTION_CONF)["max_keepalive"][0]) >= max(gateway_bound, agent_bound)


def test_production_is_a_complete_config_not_a_drop_in() -> None:
    # Debian's stock mosquitto.conf sets persistence_location and includes conf.d/; a drop-in that
    # sets it again stops Mosquitto ("Duplicate persistence_location value"), so production.conf
    # replaces mosquitto.conf and must hold everything itself.
    found = directives(PRODUCTION_CONF)
    assert "include_dir" not in found
    assert found["allow_anonymous"] == ["false"]
    assert found["per_listener_settings"] == ["false"]  # one policy for both listeners
    assert found["persistence"] == ["true"]
    assert found["listener"] == ["1883 127.0.0.1", "8883"]
    # A per-listener option: once per listener, or the other listener lets ids be taken over.
    assert found["use_username_as_clientid"] == ["true", "true"]


def test_a_client_on_mqtt_3_1_1_with_the_longest_keepalive_gets_in(
    production_broker: ProductionBroker,
) -> None:
    bound = int(directives(PRODUCTION_CONF)["max_keepalive"][0])
    connected = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.username_pw_set("dev1", production_broker.installation.password("dev1"))
    client.on_connect = lambda _c, _u, _f, reason, _p: reason == 0 and connected.set()
    client.connect("127.0.0.1", production_broker.port, keepalive=bound)
    client.loop_start()
    try:
        wait_until(connected.is_set, 10, "a 3.1.1 client with keepalive 3600 to connect")
    finally:
        client.disconnect()
        client.loop_stop()


def test_retained_state_and_queued_messages_survive_a_broker_restart(
    production_broker: ProductionBroker,
) -> None:
    gateway_id = "pigw-gateway-test"
    gateway = production_broker.login("_gateway", client_id=gateway_id, session_expiry=3600)
    gateway.subscribe(TOPICS.all_filter())
    gateway.close()  # away, with a persistent session: the broker queues for it

    device = production_broker.login("dev1")
    state = TOPICS.state("dev1", "temp1")
    device.publish(state, b'{"value": 1}', retain=True)
    device.publish(TOPICS.backlog("dev1"), b"[]")  # not retained: only the session keeps it
    device.close()

    production_broker.mosquitto.restart()  # SIGTERM: Mosquitto writes its database on the way out

    back = production_broker.login("_gateway", client_id=gateway_id, session_expiry=3600)
    assert back.wait_for(TOPICS.backlog("dev1"))[0].payload == b"[]"
    assert back.wait_for(state)[0].payload == b'{"value": 1}'
    newcomer = production_broker.login("_homeassistant")
    newcomer.subscribe(TOPICS.all_filter())
    assert newcomer.wait_for(state)[0].payload == b'{"value": 1}'


def test_a_packet_over_the_contract_limit_is_refused(production_broker: ProductionBroker) -> None:
    gateway = production_broker.login("_gateway")
    gateway.subscribe(TOPICS.all_filter())
    offender = production_broker.login("dev1")
    offender.client.publish(TOPICS.backlog("dev1"), b"x" * (MAX_PACKET_BYTES + 1), qos=0)
    production_broker.mosquitto.process.wait_for_output("oversize packet")
    device = production_broker.login("dev1")
    just_under = b"y" * (MAX_PACKET_BYTES - 1024)  # room for the topic and the header
    assert not device.publish(TOPICS.backlog("dev1"), just_under).is_failure
    assert [m.payload for m in gateway.wait_for(TOPICS.backlog("dev1"))] == [just_under]
