"""Crafted and late commands against the real agent and Mosquitto (issue 17, items 6 and 8): every
one ends in an ack, and the output and its published state stay alike."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from pigw.contract import decode_ack, decode_state, encode_command
from tests.agent.support import TOPICS, agent_process, running, write_config
from tests.support.broker import Mosquitto
from tests.support.mqtt import Recorder, recorder
from tests.support.processes import ManagedProcess
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
DEV = "hard"

BOARD = """
[sensors.door]
kind = "digital"
pin = 17

[actuators.relay1]
kind = "relay"
pin = 5

[actuators.pump]
kind = "relay"
pin = 13
min_interval = 3600

[actuators.pwm1]
kind = "pwm_led"
pin = 12
"""


@dataclass
class Rig:
    watch: Recorder
    agent: ManagedProcess

    def send(self, actuator: str, payload: bytes, **kwargs: object) -> None:
        self.watch.publish(TOPICS.command(DEV, actuator), payload, **kwargs)  # type: ignore[arg-type]

    def acks(self, actuator: str) -> list[dict]:  # type: ignore[type-arg]
        return [
            decode_ack(m.payload).model_dump() for m in self.watch.on(TOPICS.ack(DEV, actuator))
        ]

    def next_ack(self, actuator: str, before: int) -> dict:  # type: ignore[type-arg]
        found = wait_until(
            lambda: len(self.acks(actuator)) > before and self.acks(actuator), 30, "an ack"
        )
        return found[before]

    def values(self, actuator: str) -> list[object]:
        return [decode_state(m.payload).value for m in self.watch.on(TOPICS.state(DEV, actuator))]


@pytest.fixture
def rig(broker: Mosquitto, tmp_path: Path) -> Iterator[Rig]:
    config = write_config(tmp_path, BOARD)
    with (
        recorder(broker.host, broker.port, f"pigw/{DEV}/+/ack", f"pigw/{DEV}/+/state") as watch,
        running(agent_process(broker, tmp_path, DEV, config=config)) as agent,
    ):
        watch.wait_for(TOPICS.state(DEV, "pwm1"), timeout=30)
        yield Rig(watch, agent)


def assert_still_answers(rig: Rig) -> None:
    """The agent is alive and takes the next command (nothing broke inside it)."""
    before = len(rig.acks("relay1"))
    rig.send("relay1", b"ON")
    assert rig.next_ack("relay1", before)["status"] == "ok"
    wait_until(lambda: rig.values("relay1")[-1] is True, 30, "relay1 on")


def test_deeply_nested_json_command_is_rejected_not_a_recursion_error(rig: Rig) -> None:
    rig.send("relay1", b'{"value": ' + b"[" * 2000 + b"]" * 2000 + b"}")
    ack = rig.next_ack("relay1", 0)
    assert ack["status"] == "rejected"
    assert "nested too deeply" in ack["error"]
    assert "RecursionError" not in rig.agent.output()
    assert_still_answers(rig)


def test_400_digit_integer_for_a_pwm_led_is_rejected_not_an_overflow_error(rig: Rig) -> None:
    cid = str(uuid.uuid4())
    rig.send("pwm1", b'{"value": ' + b"9" * 400 + b', "cid": "' + cid.encode() + b'"}')
    ack = rig.next_ack("pwm1", 0)
    assert (ack["status"], ack["cid"]) == ("rejected", cid)
    assert rig.values("pwm1") == [0.0]  # untouched: only the start-up state
    assert "OverflowError" not in rig.agent.output()


def test_wildcard_response_topic_is_rejected_and_the_output_state_stays_published(
    rig: Rig,
) -> None:
    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic = "reply/#"
    props.CorrelationData = b"c-1"
    rig.send("relay1", b"ON", properties=props)
    ack = rig.next_ack("relay1", 0)
    assert ack["status"] == "rejected"
    assert "wildcard" in ack["error"]
    assert rig.values("relay1") == [False]  # not switched, so nothing new to publish
    assert_still_answers(rig)  # and the next command switches it and publishes its state


def test_command_sooner_than_min_interval_is_rejected_and_not_executed(rig: Rig) -> None:
    rig.send("pump", b"ON")
    assert rig.next_ack("pump", 0)["status"] == "ok"
    wait_until(lambda: rig.values("pump")[-1] is True, 30, "pump on")
    rig.send("pump", b"OFF")
    ack = rig.next_ack("pump", 1)
    assert ack["status"] == "rejected"
    assert "min_interval" in ack["error"]
    assert ack["value"] is True  # the value it kept
    rig.send("pump", b"ON")  # the value it has: nothing wears, so it is fine
    assert rig.next_ack("pump", 2)["status"] == "ok"
    assert rig.values("pump")[-1] is True


def test_plain_command_queued_while_the_agent_was_off_is_expired_not_run_late(
    rig: Rig,
) -> None:
    """A plain ``ON`` that waited in the agent's persistent session (here: while it was stopped)
    must not switch the relay when the agent comes back; one with an ``exp`` still ahead does."""
    rig.agent.stop(20)
    cid = str(uuid.uuid4())
    rig.send("relay1", b"ON")
    rig.send("pwm1", encode_command(0.5, cid=cid, exp=datetime.now(UTC) + timedelta(minutes=5)))
    rig.agent.start()
    plain = rig.next_ack("relay1", 0)
    assert plain["status"] == "expired"
    assert "broker's session" in plain["error"]
    assert True not in rig.values("relay1")
    dimmed = rig.next_ack("pwm1", 0)
    assert (dimmed["status"], dimmed["cid"]) == ("ok", cid)
    assert_still_answers(rig)  # a plain command sent now runs
