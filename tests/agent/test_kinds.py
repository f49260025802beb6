"""The registry of sensor kinds: every kind is complete, and the board, the meta, the simulator and
Home Assistant all take it from there."""

from __future__ import annotations

import typing

import msgspec
import pytest

from device_agent.agent import build_meta
from device_agent.config import parse_config
from device_agent.discovery import discovery_payload
from device_agent.hardware.simulation import Simulator
from device_agent.kinds import SENSOR_KINDS, EdgeSensor, SampledSensor, sensor_kind
from pigw.contract import SensorKind, Topics

#: One minimal table per kind (the required keys only).
MINIMAL = {
    "digital": "pin = 17",
    "motion": "pin = 17",
    "distance": "echo = 23\ntrigger = 24",
    "light": "pin = 4",
    "adc": "",
    "ds18b20": "",
    "cpu_temperature": "",
    "load_average": "",
    "disk_usage": "",
}


def test_every_kind_of_the_contract_is_registered_and_nothing_else() -> None:
    assert set(SENSOR_KINDS) == {kind.value for kind in SensorKind}
    assert set(MINIMAL) == set(SENSOR_KINDS)


@pytest.mark.parametrize("name", sorted(SENSOR_KINDS))
def test_each_kind_names_its_table_and_belongs_to_one_family(name: str) -> None:
    kind = SENSOR_KINDS[name]
    assert kind.name == name
    (kind_field,) = (f for f in msgspec.structs.fields(kind.config) if f.name == "kind")
    literal = typing.get_args(kind_field.type)
    assert name in literal
    assert issubclass(kind.config, EdgeSensor) != issubclass(kind.config, SampledSensor)


@pytest.mark.parametrize("name", sorted(SENSOR_KINDS))
def test_a_table_of_each_kind_validates_to_its_kind_and_reaches_meta_and_discovery(
    name: str,
) -> None:
    board = parse_config(f'[sensors.s]\nkind = "{name}"\n{MINIMAL[name]}\n')
    sensor = board.sensors["s"]
    assert sensor_kind(sensor) is SENSOR_KINDS[name]
    assert build_meta(board, "dev", "b").sensors["s"].kind == name
    entity = discovery_payload(board, "dev", Topics(), "1")["components"]["s"]
    family = "binary_sensor" if isinstance(sensor, EdgeSensor) else "sensor"
    assert entity["platform"] == family


def test_a_kind_with_a_default_waveform_is_simulated_without_a_table() -> None:
    board = parse_config('[sensors.d]\nkind = "distance"\necho = 23\ntrigger = 24\n'
                         '[sensors.t]\nkind = "ds18b20"\n')  # fmt: skip
    assert Simulator.drives(board.sensors["d"])
    assert not Simulator.drives(board.sensors["t"])  # a thermometer only with its own table


def test_pins_of_every_kind_enter_the_duplicate_check() -> None:
    message = ""
    try:
        parse_config('[sensors.d]\nkind = "distance"\necho = 23\ntrigger = 24\n'
                     '[sensors.l]\nkind = "light"\npin = 24\n')  # fmt: skip
    except SystemExit as exc:
        message = str(exc)
    assert "sensors.l.pin" in message
    assert "sensors.d.trigger" in message


def test_motion_defaults_to_the_motion_device_class_in_home_assistant() -> None:
    board = parse_config('[sensors.m]\nkind = "motion"\npin = 27\n')
    entity = discovery_payload(board, "dev", Topics(), "1")["components"]["m"]
    assert entity["device_class"] == "motion"
