"""The device description (``<p>/<dev>/meta``) and the kind vocabulary."""

from __future__ import annotations

import json

import pytest

from pigw.contract import (
    MAX_META_BYTES,
    ActuatorKind,
    ContractError,
    SensorKind,
    decode_meta,
    encode_model,
)

META = {
    "id": "kitchen",
    "name": "Kitchen Pi",
    "model": "Raspberry Pi 4",
    "sw": "0.1.0",
    "boot": "7f3a",
    "sensors": {
        "temp1": {
            "kind": "ds18b20",
            "unit": "°C",
            "device_class": "temperature",
            "interval": 5,
            "heartbeat": 60,
            "deadband": 0.1,
            "pin": 4,
            "settable": False,
        },
        "door": {"kind": "digital", "device_class": "door", "pin": "GPIO17"},
    },
    "actuators": {
        "relay1": {"kind": "relay", "pin": 27, "settable": True},
        "pwm1": {"kind": "pwm_led", "pin": 18},
    },
}


def test_meta_round_trips() -> None:
    meta = decode_meta(json.dumps(META).encode())
    assert meta.sensors["temp1"].kind is SensorKind.DS18B20
    assert meta.sensors["temp1"].interval == 5
    assert meta.actuators["pwm1"].kind is ActuatorKind.PWM_LED
    assert meta.actuators["pwm1"].settable is True  # actuators are settable unless said otherwise
    assert decode_meta(encode_model(meta)) == meta


def test_kind_vocabulary_is_exactly_the_contracts() -> None:
    assert {k.value for k in SensorKind} == {
        "digital", "motion", "distance", "light", "adc", "ds18b20",
        "cpu_temperature", "load_average", "disk_usage",
    }  # fmt: skip
    assert {k.value for k in ActuatorKind} == {"relay", "led", "pwm_led", "buzzer"}


@pytest.mark.parametrize(
    "change",
    [
        {"id": "Kitchen"},
        {"id": "status"},
        {"name": None},
        {"sensors": {"temp1": {"kind": "thermometer"}}},
        {"sensors": {"Temp": {"kind": "adc"}}},
        {"sensors": {"meta": {"kind": "adc"}}},
        {"sensors": {"t": {"kind": "adc", "interval": 0}}},
        {"sensors": {"t": {"kind": "adc", "deadband": -1}}},
        {"actuators": {"a": {"kind": "ds18b20"}}},
        {"sensors": {"x": {"kind": "adc"}}, "actuators": {"x": {"kind": "relay"}}},
    ],
)
def test_bad_meta_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(ContractError):
        decode_meta(json.dumps(META | change).encode())


def test_oversized_meta_is_refused() -> None:
    with pytest.raises(ContractError) as info:
        decode_meta(json.dumps(META | {"pad": "x" * MAX_META_BYTES}).encode())
    assert info.value.reason == "oversize"
