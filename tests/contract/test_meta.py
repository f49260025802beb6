"""The device description (``<p>/<dev>/meta``) and the kind vocabulary."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pigw.contract import (
    MAX_META_BYTES,
    POINT_FIELDS,
    ActuatorKind,
    ContractError,
    DeviceDescription,
    PointDescription,
    SensorKind,
    decode_meta,
    encode_description,
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


def test_a_built_description_carries_every_field_of_every_entry() -> None:
    description = DeviceDescription(
        id="kitchen",
        name="Kitchen Pi",
        model="Raspberry Pi 4",
        sw="1.2.3",
        boot="7f3a",
        sensors={
            "door": PointDescription(kind=SensorKind.DIGITAL, pin=17, heartbeat=300),
            "cpu": PointDescription(kind=SensorKind.CPU_TEMPERATURE, unit="°C", interval=30),
        },
        actuators={"relay1": PointDescription(kind=ActuatorKind.RELAY, pin=5, settable=True)},
    )
    payload = encode_description(description)
    doc = json.loads(payload)
    for group in ("sensors", "actuators"):
        for entry in doc[group].values():
            assert list(entry)[: len(POINT_FIELDS)] == list(POINT_FIELDS)
    assert doc["sensors"]["door"]["interval"] is None
    assert doc["sensors"]["door"]["unit"] is None
    assert doc["sensors"]["cpu"]["pin"] is None
    parsed = decode_meta(payload)  # what the gateway reads
    assert parsed.actuators["relay1"].settable is True
    assert parsed.sensors["door"].kind is SensorKind.DIGITAL


def test_the_gateway_side_encoder_keeps_every_field_too() -> None:
    doc = json.loads(encode_model(decode_meta(json.dumps(META).encode())))
    assert doc["sensors"]["door"]["interval"] is None
    assert set(POINT_FIELDS) <= doc["actuators"]["pwm1"].keys()


@pytest.mark.parametrize(
    ("sensors", "actuators"),
    [
        (
            {"x": PointDescription(kind=SensorKind.ADC)},
            {"x": PointDescription(kind=ActuatorKind.LED)},
        ),
        ({"meta": PointDescription(kind=SensorKind.ADC)}, {}),
        ({"Bad": PointDescription(kind=SensorKind.ADC)}, {}),
    ],
)
def test_a_description_no_consumer_would_accept_is_refused(
    sensors: dict[str, PointDescription], actuators: dict[str, PointDescription]
) -> None:
    description = DeviceDescription("d1", "D", "m", "1", "b", sensors, actuators)
    with pytest.raises(ContractError):
        encode_description(description)


def test_the_publishing_half_of_the_contract_does_not_load_pydantic() -> None:
    code = (
        "import sys, pigw.contract as c\n"
        "c.encode_description, c.parse_replay, c.join_backlog, c.Topics\n"
        "assert 'pydantic' not in sys.modules, sorted(m for m in sys.modules if 'pydantic' in m)\n"
        "c.decode_meta\n"
        "assert 'pydantic' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
