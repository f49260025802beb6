"""Board config validation: a bad key, pin or id stops start-up naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from device_agent.config import ConfigError, load_config, parse_config
from device_agent.demo_board import DEMO_BOARD_TOML, demo_board


def refusal(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "board.toml")
    return str(caught.value)


def test_demo_board_has_three_kinds_and_the_contract_actuators() -> None:
    board = demo_board()
    assert len({sensor.kind for sensor in board.sensors.values()}) >= 3
    assert {aid: a.kind for aid, a in board.actuators.items()} == {
        "relay1": "relay",
        "led1": "led",
        "pwm1": "pwm_led",
    }


def test_unknown_key_is_named() -> None:
    message = refusal('[sensors.door]\nkind = "digital"\npin = 17\ncolour = "red"\n')
    assert "sensors.door.colour" in message


def test_unknown_top_level_section_is_named() -> None:
    assert "sensorz" in refusal('[sensorz.door]\nkind = "digital"\n')


def test_pin_outside_the_header_is_named() -> None:
    message = refusal('[sensors.door]\nkind = "digital"\npin = 40\n')
    assert "sensors.door.pin" in message
    assert "40" in message


def test_pin_name_that_is_not_a_pin_is_refused() -> None:
    assert "sensors.door.pin" in refusal('[sensors.door]\nkind = "digital"\npin = "GPIO99"\n')


def test_same_pin_twice_names_both_keys() -> None:
    message = refusal(
        '[sensors.door]\nkind = "digital"\npin = 17\n'
        '[actuators.relay1]\nkind = "relay"\npin = "GPIO17"\n'
    )
    assert "actuators.relay1.pin" in message
    assert "sensors.door.pin" in message


@pytest.mark.parametrize("bad_id", ["Door", "status", "meta", "a/b", "-x"])
def test_bad_or_reserved_sensor_id_is_refused(bad_id: str) -> None:
    message = refusal(f'[sensors."{bad_id}"]\nkind = "digital"\npin = 17\n')
    assert bad_id in message


def test_unknown_kind_is_named() -> None:
    message = refusal('[sensors.door]\nkind = "doorbell"\npin = 17\n')
    assert "sensors.door" in message
    assert "doorbell" in message


def test_on_off_output_cannot_have_a_fractional_safe_state() -> None:
    assert "actuators.r" in refusal('[actuators.r]\nkind = "relay"\npin = 5\nsafe_state = 0.5\n')


def test_adc_channel_must_exist_on_the_chip() -> None:
    assert "mcp3002" in refusal('[sensors.a]\nkind = "adc"\nchip = "mcp3002"\nchannel = 3\n')


@pytest.mark.parametrize(("port", "device", "pin"), [(0, 0, 9), (0, 0, 8), (0, 1, 7), (1, 2, 16)])
def test_a_pin_of_an_adc_s_spi_bus_is_refused_naming_both(port: int, device: int, pin: int) -> None:
    message = refusal(
        f'[sensors.level]\nkind = "adc"\nspi_port = {port}\nspi_device = {device}\n'
        f'[sensors.door]\nkind = "digital"\npin = {pin}\n'
    )
    assert "sensors.door.pin" in message
    assert f"sensors.level (SPI{port})" in message


def test_adcs_share_their_bus_and_free_chip_selects_stay_usable() -> None:
    board = parse_config(
        '[sensors.a]\nkind = "adc"\nchannel = 0\n[sensors.b]\nkind = "adc"\nchannel = 1\n'
        '[sensors.door]\nkind = "digital"\npin = 7\n'  # CE1: free, the ADC is on CE0
    )
    assert set(board.sensors) == {"a", "b", "door"}
    assert "spi_device" in refusal('[sensors.a]\nkind = "adc"\nspi_device = 2\n')


def test_negative_interval_is_named() -> None:
    assert "sensors.t.interval" in refusal('[sensors.t]\nkind = "ds18b20"\ninterval = -1\n')


def test_not_toml_is_refused() -> None:
    assert "not valid TOML" in refusal("[sensors\n")


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "nope.toml")


def test_kind_defaults_fill_in_units_and_classes() -> None:
    board = parse_config(DEMO_BOARD_TOML)
    temperature = board.sensors["temperature"]
    assert temperature.unit == "°C"
    assert temperature.device_class == "temperature"
    assert board.sensors["distance"].unit == "cm"


def test_device_name_takes_the_device_id_so_a_fleet_from_one_file_is_told_apart() -> None:
    device = parse_config('[device]\nname = "Greenhouse {id}"').device
    assert device.display_name("gh-07") == "Greenhouse gh-07"
    assert parse_config("").device.display_name("gh-07") == "gh-07"
    assert demo_board().device.display_name("sim-12") == "Simulated Pi (sim-12)"


def test_min_interval_of_an_actuator_must_be_positive() -> None:
    with pytest.raises(ConfigError, match=r"actuators\.pump\.min_interval"):
        parse_config('[actuators.pump]\nkind = "relay"\npin = 5\nmin_interval = 0')
    board = parse_config('[actuators.pump]\nkind = "relay"\npin = 5\nmin_interval = 30')
    assert board.actuators["pump"].min_interval == 30.0
