"""The real ``pigw-agent`` against the real broker: birth, meta, states, Last Will, SIGTERM,
SIGKILL, SIGSTOP, seq across restarts, config errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import pigw
from pigw.contract import POINT_FIELDS, decode_meta, decode_state
from tests.agent.ha_rules import problems
from tests.agent.support import (
    FAST_BOARD,
    TOPICS,
    agent_process,
    json_payload,
    running,
    seqs_on,
    write_config,
)
from tests.support.broker import Mosquitto
from tests.support.mqtt import recorder
from tests.support.processes import venv_command
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def test_demo_board_announces_itself_and_publishes_readings(
    broker: Mosquitto, tmp_path: Path
) -> None:
    with (
        recorder(broker.host, broker.port, "pigw/#", "homeassistant/#") as watch,
        running(agent_process(broker, tmp_path, "sim-pi")),
    ):
        assert watch.wait_for(TOPICS.status("sim-pi"), timeout=30)[0].payload == b"online"
        meta_payload = watch.wait_for(TOPICS.meta("sim-pi"))[0].payload
        meta = decode_meta(meta_payload)
        # Every entry carries every contract field, null where it does not apply (issue 18).
        entries = json.loads(meta_payload)
        for group in ("sensors", "actuators"):
            for point, entry in entries[group].items():
                assert set(POINT_FIELDS) <= entry.keys(), (group, point, entry)
        assert entries["sensors"]["door"]["interval"] is None
        assert entries["sensors"]["cpu"]["pin"] is None
        assert entries["actuators"]["relay1"]["settable"] is True
        assert entries["sw"] == pigw.__version__
        assert {a: m.kind for a, m in meta.actuators.items()} == {
            "relay1": "relay",
            "led1": "led",
            "pwm1": "pwm_led",
        }
        assert len({s.kind for s in meta.sensors.values()}) >= 3
        with recorder(broker.host, broker.port, "homeassistant/#") as late:
            discovery = late.wait_for(TOPICS.discovery("sim-pi"))[0]
        assert discovery.retain
        assert problems(discovery.topic, json_payload(discovery)) == []
        for sensor in ("temperature", "distance", "soil", "door", "motion", "light"):
            state = decode_state(
                watch.wait_for(TOPICS.state("sim-pi", sensor), timeout=30)[0].payload
            )
            assert state.boot == meta.boot
        # The door and the PIR toggle every few seconds.
        watch.wait_for(TOPICS.state("sim-pi", "door"), count=2, timeout=30)
        watch.wait_for(TOPICS.state("sim-pi", "motion"), count=2, timeout=30)
        seqs = seqs_on(watch, "sim-pi")
        assert len(seqs) == len(set(seqs))
        assert sorted(seqs) == list(range(len(seqs)))


def test_sigterm_publishes_offline_sets_outputs_safe_and_exits_zero(
    broker: Mosquitto, tmp_path: Path
) -> None:
    config = write_config(tmp_path, FAST_BOARD)
    with recorder(broker.host, broker.port, "pigw/#") as watch:
        agent = agent_process(broker, tmp_path, "term", config=config).start()
        watch.wait_for(TOPICS.status("term"), timeout=30)
        watch.publish(TOPICS.command("term", "relay1"), b"ON")
        wait_until(
            lambda: any(
                decode_state(m.payload).value is True
                for m in watch.on(TOPICS.state("term", "relay1"))
            ),
            30,
            "relay1 on",
        )
        assert agent.stop(20) == 0
        statuses = [m.payload for m in watch.on(TOPICS.status("term"))]
        assert statuses[-1] == b"offline"
        relay = [decode_state(m.payload).value for m in watch.on(TOPICS.state("term", "relay1"))]
        assert relay[-1] is False  # back to its safe state, and said so
    with recorder(broker.host, broker.port, TOPICS.status("term")) as late:
        assert late.wait_for(TOPICS.status("term"))[0].payload == b"offline"  # retained


def test_sigkill_brings_the_last_will(broker: Mosquitto, tmp_path: Path) -> None:
    with recorder(broker.host, broker.port, "pigw/+/status") as watch:
        agent = agent_process(broker, tmp_path, "killed").start()
        try:
            watch.wait_for(TOPICS.status("killed"), timeout=30)
            agent.kill()
            wait_until(
                lambda: watch.on(TOPICS.status("killed"))[-1].payload == b"offline",
                30,
                "the Last Will",
            )
        finally:
            agent.stop()


def test_sigstop_is_noticed_through_keepalive(broker: Mosquitto, tmp_path: Path) -> None:
    with recorder(broker.host, broker.port, "pigw/+/status") as watch:
        agent = agent_process(broker, tmp_path, "frozen", extra=["--mqtt-keepalive", "5"]).start()
        try:
            watch.wait_for(TOPICS.status("frozen"), timeout=30)
            agent.pause()
            wait_until(
                lambda: watch.on(TOPICS.status("frozen"))[-1].payload == b"offline",
                30,
                "offline after 1.5 x keepalive",
            )
            agent.resume()
            wait_until(
                lambda: watch.on(TOPICS.status("frozen"))[-1].payload == b"online",
                30,
                "online again after SIGCONT",
            )
        finally:
            agent.stop()


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_seq_keeps_rising_across_restarts(broker: Mosquitto, tmp_path: Path, how: str) -> None:
    config = write_config(tmp_path, FAST_BOARD)
    outbox = tmp_path / "outbox.sqlite"
    with recorder(broker.host, broker.port, "pigw/#") as watch:
        first = agent_process(broker, tmp_path, "restart", config=config, outbox=outbox).start()
        try:
            watch.wait_for(TOPICS.state("restart", "door"), count=5, timeout=30)
        finally:
            if how == "sigkill":
                first.kill()
            first.stop()
        before = max(seqs_on(watch, "restart"))
        watch.clear()
        with running(agent_process(broker, tmp_path, "restart", config=config, outbox=outbox)):
            watch.wait_for(TOPICS.state("restart", "door"), count=3, timeout=30)
            live = [
                decode_state(m.payload)
                for m in watch.messages
                if m.topic.endswith("/state") and not m.retain
            ]
            new_boot = [s for s in live if s.seq > before]
            assert new_boot, "the restarted agent published"
            assert min(s.seq for s in new_boot) > before
            if how == "sigterm":
                # A clean shutdown recorded the exact next seq: no gap at all.
                assert min(s.seq for s in new_boot) == before + 1


def test_check_config_only_validates(tmp_path: Path) -> None:
    config = write_config(tmp_path, FAST_BOARD)
    result = subprocess.run(
        [
            venv_command("pigw-agent"),
            "--config",
            str(config),
            "--device-id",
            "ok1",
            "--check-config",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "config OK" in result.stdout


@pytest.mark.parametrize(
    ("board", "args", "named"),
    [
        ('[sensors.door]\nkind = "digital"\npin = 99\n', ["--device-id", "x1"], "sensors.door.pin"),
        (
            '[sensors.door]\nkind = "digital"\npin = 4\nbogus = 1\n',
            ["--device-id", "x1"],
            "sensors.door.bogus",
        ),
        ('[sensors.meta]\nkind = "digital"\npin = 4\n', ["--device-id", "x1"], "reserved"),
        ('[sensors.door]\nkind = "digital"\npin = 4\n', ["--device-id", "Bad Id"], "--device-id"),
        ('[sensors.door]\nkind = "digital"\npin = 4\n', [], "device id"),
    ],
)
def test_bad_config_stops_start_up_naming_the_key(
    tmp_path: Path, board: str, args: list[str], named: str
) -> None:
    config = write_config(tmp_path, board)
    result = subprocess.run(
        [venv_command("pigw-agent"), "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert named in result.stderr


def test_bad_flag_is_named(tmp_path: Path) -> None:
    result = subprocess.run(
        [venv_command("pigw-agent"), "--simulate", "--mqtt-url", "http://x", "--check-config"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "--mqtt-url" in result.stderr
