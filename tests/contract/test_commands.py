"""Commands on ``/set``: every form the contract lists, per actuator kind, and the refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from pigw.contract import (
    ActuatorKind,
    Command,
    ContractError,
    actuator_value,
    decode_command,
    encode_command,
)

SWITCHES = [ActuatorKind.RELAY, ActuatorKind.LED, ActuatorKind.BUZZER]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"ON", True), (b"OFF", False), (b"on", True), (b" off\n", False),
        (b"true", True), (b"false", False), (b"1", True), (b"0", False),
        (b'{"value": true}', True), (b'{"value": "OFF"}', False), (b'{"value": 1}', True),
        (b'"ON"', True),
    ],
)  # fmt: skip
@pytest.mark.parametrize("kind", SWITCHES)
def test_switch_forms(payload: bytes, expected: bool, kind: ActuatorKind) -> None:
    assert actuator_value(kind, decode_command(payload).value) is expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"0.5", 0.5), (b"0", 0.0), (b"1", 1.0), (b"0.0", 0.0),
        (b'{"value": 0.25}', 0.25), (b"ON", 1.0), (b"OFF", 0.0), (b"true", 1.0),
    ],
)  # fmt: skip
def test_pwm_forms(payload: bytes, expected: float) -> None:
    assert actuator_value(ActuatorKind.PWM_LED, decode_command(payload).value) == expected


@pytest.mark.parametrize("payload", [b"0.5", b"2", b"-1", b"maybe", b'{"value": "dim"}'])
@pytest.mark.parametrize("kind", SWITCHES)
def test_switches_refuse_other_values(payload: bytes, kind: ActuatorKind) -> None:
    with pytest.raises(ContractError) as info:
        actuator_value(kind, decode_command(payload).value)
    assert info.value.reason == "bad_value"


@pytest.mark.parametrize("payload", [b"1.5", b"-0.1", b"maybe", b'{"value": "x"}'])
def test_pwm_refuses_values_outside_zero_to_one(payload: bytes) -> None:
    with pytest.raises(ContractError):
        actuator_value(ActuatorKind.PWM_LED, decode_command(payload).value)


def test_json_form_carries_cid_and_deadline() -> None:
    command = decode_command(
        b'{"value": "ON", "cid": "abc-123", "exp": "2026-11-24T06:00:05.000Z"}'
    )
    assert command == Command("ON", "abc-123", datetime(2026, 11, 24, 6, 0, 5, tzinfo=UTC))
    assert command.expired(datetime(2026, 11, 24, 6, 0, 6, tzinfo=UTC))
    assert not command.expired(datetime(2026, 11, 24, 6, 0, 4, tzinfo=UTC))
    assert not decode_command(b"ON").expired(datetime.now(UTC))


def test_deadline_without_offset_is_utc() -> None:
    command = decode_command(b'{"value": 1, "exp": "2026-11-24T06:00:05"}')
    assert command.exp == datetime(2026, 11, 24, 6, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty"),
        (b"   ", "empty"),
        (b"\xff", "bad_payload"),
        (b'{"cid": "x"}', "bad_payload"),
        (b'{"value": 1, "cid": 5}', "bad_payload"),
        (b'{"value": 1, "cid": ""}', "bad_payload"),
        (b'{"value": 1, "exp": "tomorrow"}', "bad_payload"),
        (b'{"value": null}', "bad_value"),
        (b'{"value": [1]}', "bad_value"),
        (b"[1]", "bad_value"),
        (b"x" * 5000, "oversize"),
    ],
)
def test_malformed_commands_are_refused(payload: bytes, reason: str) -> None:
    with pytest.raises(ContractError) as info:
        decode_command(payload)
    assert info.value.reason == reason


def test_encoded_command_is_what_the_agent_parses() -> None:
    exp = datetime.now(UTC) + timedelta(seconds=5)
    payload = encode_command(0.5, "cid-1", exp)
    doc = json.loads(payload)
    assert doc["value"] == 0.5 and doc["cid"] == "cid-1"
    parsed = decode_command(payload)
    assert parsed.cid == "cid-1" and parsed.value == 0.5
    assert parsed.exp is not None and abs((parsed.exp - exp).total_seconds()) < 0.001


def test_deeply_nested_json_is_a_contract_error_not_a_recursion_error() -> None:
    with pytest.raises(ContractError, match="nested too deeply"):
        decode_command(b"[" * 2000 + b"]" * 2000)  # within the 4 KiB limit


@pytest.mark.parametrize("kind", [ActuatorKind.PWM_LED, *SWITCHES])
@pytest.mark.parametrize("number", [10**400, -(10**400), 2])
def test_huge_integer_is_a_bad_value_not_an_overflow_error(kind: ActuatorKind, number: int) -> None:
    with pytest.raises(ContractError, match="bad_value") as refused:
        actuator_value(kind, number)
    assert len(str(refused.value)) < 120  # the number is cut in the message
