"""DS18B20 through a fake sysfs folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from device_agent.hardware.analog import ReadError
from device_agent.hardware.ds18b20 import Ds18b20, format_w1_slave

ADDRESS = "28-0316a2791aff"


def sensor(root: Path, address: str | None = ADDRESS) -> Ds18b20:
    return Ds18b20(root, address)


def write(root: Path, text: str, address: str = ADDRESS) -> None:
    (root / address).mkdir(parents=True, exist_ok=True)
    (root / address / "w1_slave").write_text(text, encoding="ascii")


def test_reads_millidegrees(tmp_path: Path) -> None:
    write(tmp_path, format_w1_slave(21.375))
    assert sensor(tmp_path).read() == 21.375


def test_negative_temperatures(tmp_path: Path) -> None:
    write(tmp_path, format_w1_slave(-10.5))
    assert sensor(tmp_path).read() == -10.5


def test_crc_failure_is_a_read_error(tmp_path: Path) -> None:
    write(tmp_path, format_w1_slave(21.0, crc_ok=False))
    with pytest.raises(ReadError, match="CRC"):
        sensor(tmp_path).read()


def test_power_on_reset_value_is_not_a_temperature(tmp_path: Path) -> None:
    write(tmp_path, format_w1_slave(85.0))
    with pytest.raises(ReadError):
        sensor(tmp_path).read()


def test_missing_device_is_a_read_error(tmp_path: Path) -> None:
    with pytest.raises(ReadError):
        sensor(tmp_path).read()


def test_without_an_address_the_only_thermometer_is_used(tmp_path: Path) -> None:
    write(tmp_path, format_w1_slave(19.5))
    (tmp_path / "w1_bus_master1").mkdir()
    assert sensor(tmp_path, address=None).read() == 19.5


def test_without_an_address_two_thermometers_are_ambiguous(tmp_path: Path) -> None:
    write(tmp_path, format_w1_slave(19.5))
    write(tmp_path, format_w1_slave(20.5), address="28-000000000001")
    with pytest.raises(ReadError, match="address"):
        sensor(tmp_path, address=None).read()
