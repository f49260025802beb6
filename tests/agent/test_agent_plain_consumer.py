"""A consumer that never asks for replay (Node-RED, Telegraf, a plain ``mosquitto_sub``) sees no
seq gap across a broker stop/start and a broker SIGKILL (issue 18).

The race: a state published as the broker goes down is acknowledged (PUBACK) and never forwarded;
the agent then holds it as delivered, and a consumer joining after the restart would miss it unless
it asks for replay. The agent's backlog after a reconnect also carries what the broker acknowledged
in the last seconds before the link dropped (device_agent/publisher.py, RECENT_ACKED_WINDOW); the
consumer here only drops repeated seqs, as the contract tells every consumer to.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from tests.agent.support import TOPICS, agent_process, running, write_config
from tests.support.broker import Mosquitto
from tests.support.mqtt import Recorder
from tests.support.outbox import wait_for_readings
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

DEVICE = "plain"
#: Seconds the consumer spends on each message: ~33 a second, below the agent's rate.
PER_MESSAGE = 0.03
#: ~50 states/s, so the broker is likely to go down with a state in flight.
BUSY_BOARD = """
[device]
name = "Busy board"

[sensors.level]
kind = "adc"
channel = 0
interval = 0.02
deadband = 0.0
decimals = 4
simulate = { signal = "sine", period = 0.5, low = 0.5, high = 2.5, noise = 0.05 }

[sensors.door]
kind = "digital"
pin = 17
debounce = 0
simulate = { signal = "square", period = 0.2 }
"""


class SlowConsumer(Recorder):
    """A consumer that takes a moment per message (a flow doing work): it falls a little behind
    at ~50 states/s, so the broker holds states for it that it acknowledged to the agent."""

    def _on_message(self, c: mqtt.Client, u: object, msg: mqtt.MQTTMessage) -> None:
        time.sleep(PER_MESSAGE)  # the consumer's work, not a wait
        super()._on_message(c, u, msg)


def seqs_seen(watch: Recorder, since: int) -> set[int]:
    """Every seq a plain consumer got: live states and backlog entries (repeats collapse)."""
    seqs: set[int] = set()
    for message in list(watch.messages):
        if message.topic == TOPICS.backlog(DEVICE):
            seqs.update(entry["seq"] for entry in json.loads(message.payload))
        elif message.topic.endswith("/state"):
            seqs.add(json.loads(message.payload)["seq"])
    return {seq for seq in seqs if seq >= since}


def first_live_seq(watch: Recorder) -> int:
    """The first seq published while the consumer was there (retained copies are older)."""
    live = [m for m in list(watch.messages) if m.topic.endswith("/state") and not m.retain]
    return int(json.loads(live[0].payload)["seq"])


def test_a_consumer_that_never_asks_for_replay_sees_no_gap_across_broker_stops_and_kills(
    broker: Mosquitto, tmp_path: Path
) -> None:
    config = write_config(tmp_path, BUSY_BOARD)
    agent = agent_process(broker, tmp_path, DEVICE, config=config)
    outbox = tmp_path / f"outbox-{DEVICE}.sqlite"
    watchers: list[SlowConsumer] = []
    with running(agent):
        watch = SlowConsumer(broker.host, broker.port)
        watch.subscribe(f"pigw/{DEVICE}/#")
        watchers.append(watch)
        watch.wait_for(TOPICS.state(DEVICE, "level"), count=20, timeout=30)
        since = first_live_seq(watch)
        for outage, go_down in enumerate((broker.stop, broker.kill), start=1):
            go_down()  # while the agent publishes ~50 states/s
            watch.close()
            wait_until(
                lambda n=outage: agent.output().count("lost the broker") >= n,
                30,
                "the agent to notice the broker is gone",
            )
            wait_for_readings(outbox, 10)  # readings taken during the outage
            # The consumer is back before the agent (as the other agent tests do), so what this
            # test watches is the moment the broker went down, not a consumer joining late.
            agent.pause()
            broker.start()
            watch = SlowConsumer(broker.host, broker.port)
            watch.subscribe(f"pigw/{DEVICE}/#")
            watchers.append(watch)
            agent.resume()
            wait_until(lambda w=watch: w.on(TOPICS.backlog(DEVICE)), 30, "the backlog")
            watch.wait_for(TOPICS.state(DEVICE, "level"), count=20, timeout=30)
        agent.stop(20)
        watch.close()
    seen: set[int] = set()
    for each in watchers:
        seen |= seqs_seen(each, since)
    missing = sorted(set(range(since, max(seen) + 1)) - seen)
    assert missing == [], f"seqs a plain consumer never got: {missing[:20]}"
    resent = re.findall(r"recent_resent=(\d+)", agent.output())
    assert resent and int(resent[-1]) > 0, "the states acknowledged before each drop went out again"
