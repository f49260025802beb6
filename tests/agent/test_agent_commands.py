"""Commands in every form the contract lists, against the real agent and broker."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from pigw.contract import decode_ack, decode_state, encode_command
from tests.agent.support import FAST_BOARD, TOPICS, agent_process, running, write_config
from tests.support.broker import Mosquitto
from tests.support.mqtt import Recorder, recorder
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
DEV = "cmd"


@pytest.fixture
def watch(broker: Mosquitto, tmp_path: Path) -> Iterator[Recorder]:
    config = write_config(tmp_path, FAST_BOARD)
    with (
        recorder(broker.host, broker.port, "pigw/cmd/+/ack", "pigw/cmd/+/state", "reply/#") as rec,
        running(agent_process(broker, tmp_path, DEV, config=config)),
    ):
        rec.wait_for(TOPICS.state(DEV, "relay1"), timeout=30)
        yield rec


def acks(watch: Recorder, actuator: str = "relay1") -> list[dict]:  # type: ignore[type-arg]
    return [decode_ack(m.payload).model_dump() for m in watch.on(TOPICS.ack(DEV, actuator))]


def wait_ack(watch: Recorder, cid: str, actuator: str = "relay1") -> dict:  # type: ignore[type-arg]
    return wait_until(
        lambda: next((a for a in acks(watch, actuator) if a["cid"] == cid), None),
        30,
        f"the ack of {cid}",
    )


def actuator_values(watch: Recorder, actuator: str) -> list[object]:
    return [decode_state(m.payload).value for m in watch.on(TOPICS.state(DEV, actuator))]


def send(watch: Recorder, actuator: str, payload: bytes, **kwargs: object) -> None:
    watch.publish(TOPICS.command(DEV, actuator), payload, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("payload", "value"),
    [
        (b"ON", True),
        (b"OFF", False),
        (b"true", True),
        (b"false", False),
        (b"1", True),
        (b"0", False),
    ],
)
def test_plain_forms_switch_the_relay_and_publish_its_state(
    watch: Recorder, payload: bytes, value: bool
) -> None:
    if value is False:  # start from on, so that a change is visible
        send(watch, "relay1", b"ON")
        wait_until(lambda: actuator_values(watch, "relay1")[-1] is True, 30, "relay on")
    send(watch, "relay1", payload)
    wait_until(lambda: actuator_values(watch, "relay1")[-1] is value, 30, f"relay {value}")
    assert acks(watch)[-1]["status"] == "ok"
    assert acks(watch)[-1]["cid"] is None


def test_json_form_is_acked_with_its_cid_then_the_state_follows(watch: Recorder) -> None:
    cid = str(uuid.uuid4())
    send(watch, "pwm1", encode_command(0.4, cid=cid, exp=datetime.now(UTC) + timedelta(seconds=30)))
    ack = wait_ack(watch, cid, "pwm1")
    assert ack["status"] == "ok"
    assert ack["value"] == pytest.approx(0.4)
    wait_until(lambda: actuator_values(watch, "pwm1")[-1] == pytest.approx(0.4), 30, "pwm at 0.4")


def test_expired_command_is_acked_expired_and_not_executed(watch: Recorder) -> None:
    cid = str(uuid.uuid4())
    send(
        watch, "relay1", encode_command(True, cid=cid, exp=datetime.now(UTC) - timedelta(seconds=5))
    )
    assert wait_ack(watch, cid)["status"] == "expired"
    assert True not in actuator_values(watch, "relay1")


@pytest.mark.parametrize(
    "payload", [b"", b"{not json", b'{"cid": "x1"}', b'{"value": {"a": 1}, "cid": "x2"}']
)
def test_empty_or_malformed_command_is_rejected(watch: Recorder, payload: bytes) -> None:
    send(watch, "relay1", payload)
    ack = wait_until(lambda: acks(watch) and acks(watch)[-1], 30, "an ack")
    assert ack["status"] == "rejected"
    assert ack["error"]
    assert True not in actuator_values(watch, "relay1")


def test_bad_value_is_rejected_with_the_reason(watch: Recorder) -> None:
    cid = str(uuid.uuid4())
    send(watch, "pwm1", json.dumps({"value": 1.5, "cid": cid}).encode())
    ack = wait_ack(watch, cid, "pwm1")
    assert ack["status"] == "rejected"
    assert "[0, 1]" in ack["error"]


def test_retained_command_is_rejected_and_never_executed(watch: Recorder) -> None:
    cid = str(uuid.uuid4())
    send(watch, "relay1", encode_command(True, cid=cid), retain=True)
    try:
        assert wait_ack(watch, cid)["status"] == "rejected"
        assert True not in actuator_values(watch, "relay1")
    finally:
        send(watch, "relay1", b"", retain=True)  # clear it from the broker


def test_duplicate_cid_is_acked_again_but_executed_once(watch: Recorder) -> None:
    cid = str(uuid.uuid4())
    send(watch, "relay1", encode_command(True, cid=cid))
    wait_ack(watch, cid)
    send(watch, "relay1", b"OFF")
    wait_until(lambda: actuator_values(watch, "relay1")[-1] is False, 30, "relay off")
    send(watch, "relay1", encode_command(True, cid=cid))  # a redelivery of the first
    wait_until(lambda: len([a for a in acks(watch) if a["cid"] == cid]) == 2, 30, "the second ack")
    assert [a["status"] for a in acks(watch) if a["cid"] == cid] == ["ok", "ok"]
    assert actuator_values(watch, "relay1")[-1] is False  # not switched on again


def test_unknown_actuator_is_rejected(watch: Recorder) -> None:
    send(watch, "nosuch", b"ON")
    ack = wait_until(
        lambda: [decode_ack(m.payload) for m in watch.on(TOPICS.ack(DEV, "nosuch"))], 30, "ack"
    )
    assert ack[0].status == "rejected"


def test_mqtt5_response_topic_and_correlation_data_are_honoured(watch: Recorder) -> None:
    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic = "reply/test-client"
    props.CorrelationData = b"\x01corr-42"
    send(watch, "led1", b"ON", properties=props)
    reply = watch.wait_for("reply/test-client", timeout=30)[0]
    assert decode_ack(reply.payload).status == "ok"
    assert reply.properties is not None
    assert reply.properties.CorrelationData == b"\x01corr-42"
    assert acks(watch, "led1")[-1]["status"] == "ok"  # the ack topic gets it as well
