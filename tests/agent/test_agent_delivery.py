"""Nothing lost: broker outage with disk buffering and backlog, replay requests, republish when
Home Assistant comes online, per-sensor availability (DS18B20 in a fake sysfs folder)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from device_agent.hardware.ds18b20 import format_w1_slave
from pigw.contract import decode_backlog, decode_state
from tests.agent.support import FAST_BOARD, TOPICS, agent_process, running, write_config
from tests.support.broker import Mosquitto
from tests.support.mqtt import Recorder, recorder
from tests.support.outbox import wait_for_readings
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def by_seq(watchers: list[Recorder], device: str) -> dict[int, list[tuple[str, bytes]]]:
    """Every copy of every seq: (how it came: live/backlog, the state's canonical bytes)."""
    copies: dict[int, list[tuple[str, bytes]]] = defaultdict(list)
    for watch in watchers:
        for message in list(watch.messages):
            if message.topic.startswith(f"pigw/{device}/") and message.topic.endswith("/state"):
                state = decode_state(message.payload)
                copies[state.seq].append(("live", state.model_dump_json().encode()))
            elif message.topic == TOPICS.backlog(device):
                for entry in decode_backlog(message.payload):
                    plain = decode_state(
                        entry.model_dump_json(
                            include={"value", "unit", "ts", "seq", "boot"}
                        ).encode()
                    )
                    copies[entry.seq].append(("backlog", plain.model_dump_json().encode()))
    return copies


def backlog_seqs(watch: Recorder, device: str) -> list[int]:
    return [e.seq for m in watch.on(TOPICS.backlog(device)) for e in decode_backlog(m.payload)]


def test_broker_outage_loses_nothing_and_repeats_nothing_as_new(
    broker: Mosquitto, tmp_path: Path
) -> None:
    config = write_config(tmp_path, FAST_BOARD)
    agent = agent_process(broker, tmp_path, "outage", config=config)
    with running(agent):
        before = Recorder(broker.host, broker.port)
        before.subscribe("pigw/outage/#")
        before.wait_for(TOPICS.state("outage", "door"), count=5, timeout=30)
        broker.stop()
        before.close()
        agent.wait_for_output("lost the broker", 30)
        # The outage itself: the agent keeps reading (~5 states/s) onto its disk.
        wait_for_readings(tmp_path / "outbox-outage.sqlite", 15)
        # Freeze the agent while the broker comes back so the new subscriber is in place before
        # the agent reconnects (otherwise the backlog could pass before it subscribes; in real
        # life the consumer's replay request covers that race).
        agent.pause()
        broker.start()
        after = Recorder(broker.host, broker.port)
        after.subscribe("pigw/outage/#")
        agent.resume()
        wait_until(lambda: backlog_seqs(after, "outage"), 30, "the backlog")
        after.wait_for(
            TOPICS.state("outage", "door"),
            count=len(after.on(TOPICS.state("outage", "door"))) + 3,
            timeout=30,
        )
        agent.stop(20)
        after.close()
        copies = by_seq([before, after], "outage")
        seqs = sorted(copies)
        assert seqs == list(range(seqs[-1] + 1)), "every seq from 0 to the last arrived"
        for seq, seen in copies.items():
            assert len({payload for _, payload in seen}) == 1, f"seq {seq} came back changed"
        backlog = backlog_seqs(after, "outage")
        assert backlog == sorted(backlog), "the backlog is oldest first"
        assert len(backlog) == len(set(backlog)), "nothing is sent twice in the backlog"
        assert len(backlog) >= 10, "readings taken during the outage came from the disk"


def test_replay_request_returns_held_states_with_their_original_seqs(
    broker: Mosquitto, tmp_path: Path
) -> None:
    config = write_config(tmp_path, FAST_BOARD)
    with (
        recorder(broker.host, broker.port, "pigw/replay1/#") as watch,
        running(agent_process(broker, tmp_path, "replay1", config=config)) as agent,
    ):
        watch.wait_for(TOPICS.state("replay1", "level"), count=5, timeout=30)
        live = {
            decode_state(m.payload).seq: decode_state(m.payload)
            for m in watch.messages
            if m.topic.endswith("/state")
        }
        watch.publish(TOPICS.replay("replay1"), json.dumps({"from_seq": 2, "to_seq": 6}).encode())
        replayed = decode_backlog(watch.wait_for(TOPICS.backlog("replay1"), timeout=30)[0].payload)
        assert [e.seq for e in replayed] == [2, 3, 4, 5, 6]
        for entry in replayed:
            assert entry.hist is True
            assert entry.value == live[entry.seq].value
            assert entry.ts == live[entry.seq].ts
        # Malformed requests are counted and logged, never fatal.
        for bad in (
            b"",
            b"{",
            b'{"from_seq": 5, "to_seq": 1}',
            b'{"from_seq": 0, "to_seq": 99999}',
        ):
            watch.publish(TOPICS.replay("replay1"), bad)
        agent.wait_for_output("malformed replay request", 30)
        watch.publish(TOPICS.replay("replay1"), b'{"from_seq": 0, "to_seq": 0}')
        wait_until(lambda: len(watch.on(TOPICS.backlog("replay1"))) == 2, 30, "a second replay")
        assert agent.running


def test_home_assistant_online_triggers_a_full_republish(broker: Mosquitto, tmp_path: Path) -> None:
    config = write_config(tmp_path, FAST_BOARD)
    with (
        recorder(broker.host, broker.port, "pigw/ha1/#", "homeassistant/device/#") as watch,
        running(agent_process(broker, tmp_path, "ha1", config=config)),
    ):
        watch.wait_for(TOPICS.discovery("ha1"), timeout=30)
        watch.wait_for(TOPICS.state("ha1", "relay1"), timeout=30)
        relay = watch.on(TOPICS.state("ha1", "relay1"))[-1]
        watch.clear()
        watch.publish("homeassistant/status", b"online")
        for topic in (TOPICS.status("ha1"), TOPICS.meta("ha1"), TOPICS.discovery("ha1")):
            watch.wait_for(topic, timeout=30)
        again = watch.wait_for(TOPICS.state("ha1", "relay1"), timeout=30)[0]
        assert decode_state(again.payload).seq == decode_state(relay.payload).seq  # original seq
        watch.clear()
        # "offline" asks for nothing; the "online" after it for exactly one republish.
        watch.publish("homeassistant/status", b"offline")
        watch.publish("homeassistant/status", b"online")
        watch.wait_for(TOPICS.state("ha1", "relay1"), timeout=30)
        # The agent takes its messages in order: once a command sent after both is acked, any
        # republish either of them caused has been published.
        watch.publish(TOPICS.command("ha1", "relay1"), b"ON")
        watch.wait_for(TOPICS.ack("ha1", "relay1"), timeout=30)
        assert len(watch.on(TOPICS.discovery("ha1"))) == 1


def test_ds18b20_from_sysfs_and_per_sensor_availability(broker: Mosquitto, tmp_path: Path) -> None:
    w1 = tmp_path / "w1"
    sensor = w1 / "28-0316a2791aff"
    sensor.mkdir(parents=True)
    (sensor / "w1_slave").write_text(format_w1_slave(21.5))
    config = write_config(
        tmp_path,
        f'[sensors.temp]\nkind = "ds18b20"\nw1_devices = "{w1}"\ninterval = 0.2\n'
        "deadband = 0.0\nfailures_before_offline = 3\n",
    )
    state, availability = TOPICS.state("w1dev", "temp"), TOPICS.availability("w1dev", "temp")
    with (
        recorder(broker.host, broker.port, "pigw/w1dev/#") as watch,
        running(agent_process(broker, tmp_path, "w1dev", config=config)),
    ):
        assert decode_state(watch.wait_for(state, timeout=30)[0].payload).value == 21.5
        assert watch.wait_for(availability)[0].payload == b"online"
        (sensor / "w1_slave").write_text(format_w1_slave(21.5, crc_ok=False))
        wait_until(lambda: watch.on(availability)[-1].payload == b"offline", 30, "offline")
        (sensor / "w1_slave").write_text(format_w1_slave(-3.25))
        wait_until(lambda: watch.on(availability)[-1].payload == b"online", 30, "online again")
        wait_until(lambda: decode_state(watch.on(state)[-1].payload).value == -3.25, 30, "-3.25")
