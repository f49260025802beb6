"""The board file's table validation (device_agent.schema.convert): pure, no pins, no broker."""

from __future__ import annotations

import subprocess
import sys

import pytest

from device_agent.config import ActuatorConfig, parse_config
from device_agent.kinds import convert_sensor
from device_agent.schema import Simulation, convert


def test_a_good_table_converts_with_no_problem() -> None:
    relay, problems = convert({"kind": "relay", "pin": 5, "min_interval": 2}, ActuatorConfig, "a.r")
    assert problems == []
    assert relay is not None and relay.min_interval == 2.0 and relay.safe_value is False


def test_every_problem_of_one_table_is_named_not_only_the_first() -> None:
    table = {"kind": "digital", "pin": 17, "colour": "red", "debounce": 99, "heartbeat": "x"}
    sensor, problems = convert_sensor(table, "sensors.door")
    keys = [key for key, _ in problems]
    assert sorted(keys) == [
        "sensors.door.colour",
        "sensors.door.debounce",
        "sensors.door.heartbeat",
    ]
    assert "pin" in dict(problems)["sensors.door.colour"]  # the keys the table does take
    # what is right still converts (pigw-agent pins uses it), with defaults for the wrong keys
    assert sensor is not None and sensor.pin == 17 and sensor.heartbeat == 300.0


def test_a_missing_required_key_ends_the_table_s_check() -> None:
    sensor, problems = convert_sensor({"kind": "distance", "echo": 23}, "sensors.d")
    assert sensor is None
    assert problems == [("sensors.d.trigger", "is required")]


@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_floats_must_be_finite(value: float) -> None:
    _, problems = convert({"period": value}, Simulation, "sensors.s.simulate")
    assert [key for key, _ in problems] == ["sensors.s.simulate.period"]


def test_a_nested_literal_typo_names_its_full_key_and_the_choices() -> None:
    _, problems = convert_sensor(
        {"kind": "light", "pin": 4, "simulate": {"signal": "saw"}}, "sensors.l"
    )
    ((key, message),) = problems
    assert key == "sensors.l.simulate.signal"
    assert "'saw'" in message and "sine" in message and "square" in message


def test_a_table_s_own_check_is_reported_under_its_key() -> None:
    _, problems = convert_sensor({"kind": "adc", "chip": "mcp3002", "channel": 3}, "sensors.a")
    assert problems == [("sensors.a.channel", "mcp3002 has no channel 3 (0-1)")]


def test_a_value_that_is_not_a_table_is_refused() -> None:
    assert convert(3, Simulation, "sensors.s.simulate") == (
        None,
        [("sensors.s.simulate", "must be a table, not an integer")],
    )


def test_an_unknown_top_level_table_is_named() -> None:
    with pytest.raises(SystemExit, match=r"bad config key sensorz: unknown table"):
        parse_config('[sensorz.door]\nkind = "digital"\npin = 17\n')


def test_validating_a_board_loads_no_pydantic() -> None:
    """The agent's whole budget is 40 MB (issue 18): its board file must not pull pydantic in."""
    code = (
        "import sys\n"
        "from device_agent.config import parse_config\n"
        "from device_agent.demo_board import demo_board\n"
        "demo_board()\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core'))\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
