"""Command decisions: every form the contract lists, checked before anything is executed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from device_agent.commanding import Decision, Pacing, RecentCommands, decide
from pigw.contract import Ack, AckStatus, ActuatorKind, encode_command, format_ts

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
RELAY = ActuatorKind.RELAY
PWM = ActuatorKind.PWM_LED


def check(
    kind: ActuatorKind, payload: bytes, retained: bool = False, recent: RecentCommands | None = None
) -> Decision:
    return decide(kind, payload, retained, NOW, recent or RecentCommands())


@pytest.mark.parametrize(
    ("payload", "value"),
    [
        (b"ON", True),
        (b"off", False),
        (b"true", True),
        (b"false", False),
        (b"1", True),
        (b"0", False),
    ],
)
def test_plain_switch_words(payload: bytes, value: bool) -> None:
    decision = check(RELAY, payload)
    assert decision.execute is value
    assert decision.cid is None


@pytest.mark.parametrize(("payload", "value"), [(b"0.25", 0.25), (b"1", 1.0), (b"ON", 1.0)])
def test_pwm_takes_numbers_in_zero_to_one(payload: bytes, value: float) -> None:
    assert check(PWM, payload).execute == value


def test_json_form_carries_the_cid() -> None:
    decision = check(RELAY, encode_command(True, cid="c-1"))
    assert (decision.execute, decision.cid) == (True, "c-1")


def test_retained_command_is_rejected_not_executed() -> None:
    decision = check(RELAY, encode_command(True, cid="c-2"), retained=True)
    assert decision.execute is None
    assert decision.status is AckStatus.REJECTED
    assert decision.cid == "c-2"
    assert "retained" in (decision.error or "")


def test_expired_command() -> None:
    decision = check(RELAY, encode_command(True, cid="c-3", exp=NOW - timedelta(seconds=1)))
    assert decision.status is AckStatus.EXPIRED
    assert decision.execute is None


def test_command_before_its_deadline_runs() -> None:
    payload = encode_command(False, cid="c-4", exp=NOW + timedelta(seconds=5))
    assert check(RELAY, payload).execute is False


@pytest.mark.parametrize("payload", [b"", b"   ", b'{"cid": "x"}', b"\xff\xfe", b'{"value": [1]}'])
def test_empty_or_malformed_is_rejected(payload: bytes) -> None:
    decision = check(RELAY, payload)
    assert decision.status is AckStatus.REJECTED
    assert decision.execute is None
    assert decision.error


@pytest.mark.parametrize(
    ("kind", "payload"), [(RELAY, b"0.5"), (RELAY, b"maybe"), (PWM, b"1.5"), (PWM, b"-1")]
)
def test_value_the_actuator_cannot_take_is_rejected(kind: ActuatorKind, payload: bytes) -> None:
    decision = check(kind, payload)
    assert decision.status is AckStatus.REJECTED
    assert "bad_value" in (decision.error or "")


def test_duplicate_cid_repeats_the_earlier_ack_without_executing() -> None:
    recent = RecentCommands()
    earlier = Ack(cid="c-5", status=AckStatus.OK, value=True, ts=format_ts(NOW))
    recent.remember(earlier)
    decision = check(RELAY, encode_command(False, cid="c-5"), recent=recent)
    assert decision.execute is None
    assert decision.repeat == earlier


def test_recent_commands_are_bounded_oldest_forgotten_first() -> None:
    recent = RecentCommands(limit=3)
    for n in range(5):
        recent.remember(Ack(cid=f"c{n}", status=AckStatus.OK, ts=format_ts(NOW)))
    assert len(recent) == 3
    assert recent.get("c0") is None
    assert recent.get("c4") is not None


def test_deeply_nested_json_is_rejected_not_a_recursion_error() -> None:
    payload = b'{"value": ' + b"[" * 2000 + b"]" * 2000 + b"}"
    decision = check(RELAY, payload)
    assert decision.status is AckStatus.REJECTED
    assert "nested too deeply" in (decision.error or "")


@pytest.mark.parametrize("kind", [PWM, RELAY])
def test_400_digit_integer_is_rejected_not_an_overflow_error(kind: ActuatorKind) -> None:
    decision = check(kind, b'{"value": ' + b"9" * 400 + b', "cid": "big"}')
    assert decision.status is AckStatus.REJECTED
    assert decision.cid == "big"
    assert "bad_value" in (decision.error or "")
    assert len(decision.error or "") < 200  # the number is cut, not echoed in full


@pytest.mark.parametrize("topic", ["reply/#", "reply/+/x", "", "a\x00b"])
def test_unpublishable_response_topic_is_rejected_before_anything_runs(topic: str) -> None:
    decision = decide(RELAY, b"ON", False, NOW, RecentCommands(), response_topic=topic)
    assert decision.status is AckStatus.REJECTED
    assert decision.execute is None
    assert "response topic" in (decision.error or "")


def test_plain_response_topic_is_fine() -> None:
    decision = decide(RELAY, b"ON", False, NOW, RecentCommands(), response_topic="reply/me")
    assert decision.execute is True


@pytest.mark.parametrize("age", [31.0, float("inf")])
def test_command_without_exp_that_waited_in_the_session_too_long_is_expired(age: float) -> None:
    for payload in (b"ON", encode_command(True, cid="c-6")):
        decision = decide(RELAY, payload, False, NOW, RecentCommands(), backlog_age=age)
        assert decision.status is AckStatus.EXPIRED
        assert decision.execute is None
        assert "broker's session" in (decision.error or "")


def test_command_from_a_short_outage_or_with_exp_still_runs() -> None:
    recent = RecentCommands()
    assert decide(RELAY, b"ON", False, NOW, recent, backlog_age=5.0).execute is True
    with_exp = encode_command(True, cid="c-7", exp=NOW + timedelta(seconds=5))
    assert decide(RELAY, with_exp, False, NOW, recent, backlog_age=float("inf")).execute is True


def test_change_sooner_than_min_interval_is_rejected_saying_so() -> None:
    pacing = Pacing(min_interval=10.0, current=False, since_last_change=2.0)
    decision = decide(RELAY, b"ON", False, NOW, RecentCommands(), pacing=pacing)
    assert decision.status is AckStatus.REJECTED
    assert "min_interval" in (decision.error or "")
    assert "10s" in (decision.error or "")


def test_min_interval_lets_through_the_value_it_has_and_a_change_after_the_interval() -> None:
    same = Pacing(min_interval=10.0, current=True, since_last_change=2.0)
    assert decide(RELAY, b"ON", False, NOW, RecentCommands(), pacing=same).execute is True
    later = Pacing(min_interval=10.0, current=False, since_last_change=10.0)
    assert decide(RELAY, b"ON", False, NOW, RecentCommands(), pacing=later).execute is True
    first = Pacing(min_interval=10.0, current=False, since_last_change=None)
    assert decide(RELAY, b"ON", False, NOW, RecentCommands(), pacing=first).execute is True
