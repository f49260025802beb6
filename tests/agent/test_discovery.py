"""Home Assistant discovery payloads follow the rules HA documents (see ``ha_rules``)."""

from __future__ import annotations

from device_agent.config import parse_config
from device_agent.demo_board import demo_board
from device_agent.discovery import discovery_payload, expire_after
from pigw.contract import Topics
from tests.agent.ha_rules import problems

TOPICS = Topics()


def payload_for(board_toml: str | None = None) -> dict:  # type: ignore[type-arg]
    board = parse_config(board_toml) if board_toml else demo_board()
    return discovery_payload(board, "sim-pi", TOPICS, "0.1.0")


def test_demo_board_discovery_breaks_no_rule() -> None:
    assert problems(TOPICS.discovery("sim-pi"), payload_for()) == []


def test_sensor_entities_carry_class_unit_and_state_class() -> None:
    temperature = payload_for()["components"]["temperature"]
    assert temperature["platform"] == "sensor"
    assert temperature["device_class"] == "temperature"
    assert temperature["unit_of_measurement"] == "°C"
    assert temperature["state_class"] == "measurement"
    assert temperature["state_topic"] == "pigw/sim-pi/temperature/state"


def test_digital_inputs_are_binary_sensors() -> None:
    components = payload_for()["components"]
    assert components["door"]["platform"] == "binary_sensor"
    assert components["door"]["device_class"] == "door"
    assert components["motion"]["device_class"] == "motion"


def test_actuators_are_switches_and_pwm_a_dimmable_light() -> None:
    components = payload_for()["components"]
    assert components["relay1"]["platform"] == "switch"
    assert components["relay1"]["command_topic"] == "pigw/sim-pi/relay1/set"
    light = components["pwm1"]
    assert light["platform"] == "light"
    assert light["brightness_command_topic"] == "pigw/sim-pi/pwm1/set"
    assert light["brightness_scale"] == 255


def test_sensor_availability_combines_device_status_and_the_sensor_with_mode_all() -> None:
    soil = payload_for()["components"]["soil"]
    assert soil["availability_mode"] == "all"
    assert [a["topic"] for a in soil["availability"]] == [
        "pigw/sim-pi/status",
        "pigw/sim-pi/soil/availability",
    ]


def test_expire_after_follows_the_heartbeat() -> None:
    components = payload_for()["components"]
    assert components["temperature"]["expire_after"] == expire_after(300, 5) == 605
    assert components["door"]["expire_after"] == expire_after(300) == 600


def test_a_device_class_with_a_unit_ha_refuses_is_left_out() -> None:
    payload = payload_for('[sensors.t]\nkind = "ds18b20"\nunit = "degrees"\n')
    assert "device_class" not in payload["components"]["t"]
    assert problems(TOPICS.discovery("sim-pi"), payload) == []


def test_the_checker_catches_a_broken_payload() -> None:
    broken = payload_for()
    del broken["origin"]
    broken["components"]["door"].pop("unique_id")
    broken["components"]["temperature"]["unit_of_measurement"] = "%"
    found = problems("homeassistant/device/sim pi/config", broken)
    assert found == [
        "bad discovery topic homeassistant/device/sim pi/config",
        "missing origin",
        "origin needs a name",
        "temperature: unit % is not valid for temperature",
        "door: an entity needs a unique_id",
    ]


def test_demo_devices_are_named_after_their_id() -> None:
    doc = discovery_payload(demo_board(), "sim-03", Topics(), "1.0")
    assert doc["device"]["name"] == "Simulated Pi (sim-03)"
