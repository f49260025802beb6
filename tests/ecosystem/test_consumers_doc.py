"""What ``docs/consumers.md`` tells users to run is right.

* The Telegraf configuration (pure checks; Telegraf itself is not installed): valid TOML; its topic
  filters are the contract's; its topic-parsing patterns take the device and the point from the
  right levels; its JSON paths exist in payloads made by ``pigw.contract``; the Go timestamp layout
  parses the contract's ``ts``.
* The ``mosquitto_rr`` / ``mosquitto_pub`` lines (integration): run as written — only the broker
  port and the device id changed — against the real broker and a real simulated agent.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pigw.contract import (
    AckStatus,
    BacklogEntry,
    StateMessage,
    Topics,
    decode_ack,
    decode_backlog,
    decode_state,
    encode_backlog,
    encode_state,
    format_ts,
)
from tests.support.broker import Mosquitto
from tests.support.mqtt import recorder
from tests.support.processes import REPO, ManagedProcess, venv_command
from tests.support.waiting import wait_until

DOC = REPO / "docs" / "consumers.md"
TOPICS = Topics()


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.M | re.S)


def telegraf() -> dict[str, Any]:
    (block,) = blocks("toml")
    return tomllib.loads(block)


def inputs() -> dict[str, dict[str, Any]]:
    """The mqtt_consumer inputs, by their one topic filter."""
    found = {}
    for entry in telegraf()["inputs"]["mqtt_consumer"]:
        (topic,) = entry["topics"]
        found[topic] = entry
    return found


def go_layout_to_strptime(layout: str) -> str:
    """Go's reference-time layout as a ``strptime`` format (the elements this page uses)."""
    for go, python in (
        ("Z07:00", "%z"), (".000", ".%f"), ("2006", "%Y"), ("15", "%H"), ("04", "%M"),
        ("05", "%S"), ("01", "%m"), ("02", "%d"),
    ):  # fmt: skip
        layout = layout.replace(go, python)
    return layout


def parse_topic_pattern(pattern: str, topic: str) -> tuple[str | None, dict[str, str]]:
    """Telegraf's topic_parsing: ``_`` skips a level, ``measurement`` names the metric, any other
    word is a tag taking that level's value."""
    levels, names = topic.split("/"), pattern.split("/")
    assert len(levels) == len(names), f"{pattern} does not have the levels of {topic}"
    measurement, tags = None, {}
    for name, level in zip(names, levels, strict=True):
        if name == "measurement":
            measurement = level
        elif name != "_":
            tags[name] = level
    return measurement, tags


def sample_state() -> StateMessage:
    return StateMessage(
        value=21.4,
        unit="°C",
        ts=format_ts(datetime(2026, 11, 24, 6, tzinfo=UTC)),
        seq=812,
        boot="7f3a",
    )


def test_telegraf_config_is_toml_with_two_mqtt_inputs_and_a_converter() -> None:
    config = telegraf()
    assert set(inputs()) == {"pigw/+/+/state", "pigw/+/backlog"}
    for entry in inputs().values():
        assert entry["qos"] == 1 and entry["data_format"] == "json_v2"
        assert entry["persistent_session"] is True and entry["client_id"]
    (converter,) = config["processors"]["converter"]
    assert converter["namepass"] == [inputs()["pigw/+/backlog"]["name_override"]]
    assert converter["tags"]["measurement"] == ["sensor", "actuator"]


def test_telegraf_topic_filters_and_patterns_follow_the_contract() -> None:
    state, backlog = inputs()["pigw/+/+/state"], inputs()["pigw/+/backlog"]
    (parsing,) = state["topic_parsing"]
    assert parsing["topic"] == "pigw/+/+/state"
    topic = TOPICS.state("kitchen-pi", "temperature")
    parsed = TOPICS.parse(topic)
    assert parse_topic_pattern(parsing["measurement"], topic) == (parsed.point, {})
    assert parse_topic_pattern(parsing["tags"], topic) == (None, {"device": parsed.device})

    (parsing,) = backlog["topic_parsing"]
    assert parsing["topic"] == "pigw/+/backlog"
    topic = TOPICS.backlog("kitchen-pi")
    assert parse_topic_pattern(parsing["tags"], topic)[1] == {"device": TOPICS.parse(topic).device}


def test_telegraf_json_paths_exist_in_contract_payloads() -> None:
    (parser,) = inputs()["pigw/+/+/state"]["json_v2"]
    doc = json.loads(encode_state(sample_state()))
    assert parser["timestamp_path"] in doc
    assert {field["path"] for field in parser["field"]} == {"value", "seq"} <= set(doc)
    assert {field["path"]: field.get("type") for field in parser["field"]}["seq"] == "int"

    (parser,) = inputs()["pigw/+/backlog"]["json_v2"]
    (selection,) = parser["object"]
    assert selection["path"] == "@this"
    entries = [
        BacklogEntry(**sample_state().model_dump(), sensor="temperature"),
        BacklogEntry(
            **sample_state().model_dump() | {"seq": 813, "value": True}, actuator="relay1"
        ),
    ]
    (payload,) = encode_backlog(entries)
    array = json.loads(payload)
    assert isinstance(array, list)
    for element in array:
        assert selection["timestamp_key"] in element
        # What remains as fields is exactly what the live input makes: value and seq.
        fields = set(element) - set(selection["excluded_keys"]) - set(selection["tags"])
        assert fields - {selection["timestamp_key"]} == {"value", "seq"}
        assert len(set(element) & set(selection["tags"])) == 1  # one of sensor / actuator
    assert selection["fields"] == {"seq": "int"}


def test_telegraf_timestamp_layout_parses_the_contract_ts() -> None:
    layouts = {
        inputs()["pigw/+/+/state"]["json_v2"][0]["timestamp_format"],
        inputs()["pigw/+/backlog"]["json_v2"][0]["object"][0]["timestamp_format"],
    }
    (layout,) = layouts
    moment = datetime(2026, 11, 24, 6, 0, 0, 123000, tzinfo=UTC)
    ts = format_ts(moment)
    assert datetime.strptime(ts, go_layout_to_strptime(layout)) == moment
    # Go's ".000" takes exactly three digits: the contract's ts always has exactly three.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ts)


def shell_commands() -> dict[str, str]:
    """The documented commands we run, keyed by what they do (continuation lines joined)."""
    (block,) = [b for b in blocks("sh") if "mosquitto_rr" in b]
    commands = re.sub(r"\\\n\s*", "", block).splitlines()
    found = {
        "request": next(c for c in commands if c.startswith("mosquitto_rr")),
        "plain": next(c for c in commands if c.startswith("mosquitto_pub") and "-m OFF" in c),
        "replay": next(c for c in commands if c.startswith("mosquitto_pub") and "/replay" in c),
    }
    return found


def localised(command: str, port: int, device: str) -> str:
    assert "-h 127.0.0.1 " in command and "demo-pi" in command
    return command.replace("-h 127.0.0.1 ", f"-h 127.0.0.1 -p {port} ").replace("demo-pi", device)


@pytest.mark.integration
def test_documented_mosquitto_commands_switch_the_relay_and_replay(
    broker: Mosquitto, tmp_path: Path
) -> None:
    device = "doc-pi"
    agent = ManagedProcess(
        [
            venv_command("pigw-agent"), "--simulate", "--mqtt-url", broker.url,
            "--device-id", device, "--outbox", str(tmp_path / "outbox.sqlite"),
        ],
        tmp_path / "agent.log",
    )  # fmt: skip
    commands = {name: localised(c, broker.port, device) for name, c in shell_commands().items()}

    def run(name: str) -> str:
        done = subprocess.run(
            ["bash", "-c", commands[name]], capture_output=True, text=True, timeout=30, check=False
        )
        assert done.returncode == 0, f"{commands[name]}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    with recorder(broker.host, broker.port, f"pigw/{device}/#") as watch:
        agent.start()
        try:
            # The request form: the answer is the ack, the relay switches on.
            watch.wait_for(TOPICS.status(device), timeout=30)
            ack = decode_ack(run("request").strip().splitlines()[0].encode())
            assert (ack.status, ack.value) == (AckStatus.OK, True)
            assert ack.cid is not None
            state_topic = TOPICS.state(device, "relay1")
            wait_until(
                lambda: any(decode_state(m.payload).value is True for m in watch.on(state_topic)),
                30,
                "relay1 on",
            )

            # The plain form: acked with a null cid, the relay switches off.
            run("plain")
            wait_until(
                lambda: any(
                    (a := decode_ack(m.payload)).cid is None and a.value is False
                    for m in watch.on(TOPICS.ack(device, "relay1"))
                ),
                30,
                "the ack of OFF",
            )

            # The replay request: seqs 10..20 come back on backlog once the agent has them.
            wait_until(
                lambda: any(
                    decode_state(m.payload).seq >= 20
                    for m in watch.messages
                    if m.topic.endswith("/state")
                ),
                60,
                "seq 20 published",
            )
            run("replay")
            backlog = watch.wait_for(TOPICS.backlog(device), timeout=30)
            replayed = [entry.seq for m in backlog for entry in decode_backlog(m.payload)]
            assert replayed == list(range(10, 21))
        finally:
            agent.stop(20)
            print(f"--- agent.log ---\n{agent.tail()}")
