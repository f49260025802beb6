"""Payload rows of CONTRACT.md: states, backlog, availability, replay, ack — and their refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pigw.contract import (
    MAX_BACKLOG_BYTES,
    MAX_BACKLOG_ENTRIES,
    MAX_REPLAY_SPAN,
    MAX_STATE_BYTES,
    SEQ_LIMIT,
    Ack,
    AckStatus,
    BacklogEntry,
    ContractError,
    StateMessage,
    decode_ack,
    decode_availability,
    decode_backlog,
    decode_replay,
    decode_state,
    encode_ack,
    encode_availability,
    encode_backlog,
    encode_model,
    encode_state,
    format_ts,
    parse_ts,
)

GOOD = {"value": 21.4, "unit": "°C", "ts": "2026-11-24T06:00:00.123Z", "seq": 812, "boot": "7f3a"}


def dumps(doc: object) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()


def test_the_contract_example_reading_round_trips() -> None:
    state = decode_state(dumps(GOOD))
    assert state == StateMessage(**GOOD)  # type: ignore[arg-type]
    assert json.loads(encode_state(state)) == GOOD
    assert "°C".encode() in encode_state(state)  # UTF-8, not \u escapes


@pytest.mark.parametrize("value", [True, False, 0, -3, 1e-9, 4095])
def test_digital_and_analog_values_are_accepted(value: object) -> None:
    assert decode_state(dumps({**GOOD, "value": value})).value == value


def test_unit_may_be_absent_and_unknown_keys_are_ignored() -> None:
    doc = {k: v for k, v in GOOD.items() if k != "unit"} | {"future": 1}
    state = decode_state(dumps(doc))
    assert state.unit is None
    assert json.loads(encode_state(state))["unit"] is None


@pytest.mark.parametrize(
    ("field", "bad", "reason"),
    [
        ("seq", 1.0, "bad_seq"),
        ("seq", "812", "bad_seq"),
        ("seq", True, "bad_seq"),
        ("seq", -1, "bad_seq"),
        ("seq", SEQ_LIMIT, "bad_seq"),
        ("seq", None, "bad_seq"),
        ("value", "21.4", "bad_payload"),
        ("value", None, "bad_payload"),
        ("value", [1], "bad_payload"),
        ("ts", "2026-11-24T06:00:00Z", "bad_payload"),  # no milliseconds
        ("ts", "2026-11-24 06:00:00.123", "bad_payload"),
        ("ts", 1764000000, "bad_payload"),
        ("boot", "", "bad_payload"),
        ("unit", 5, "bad_payload"),
    ],
)
def test_wrong_types_are_refused_with_a_reason(field: str, bad: object, reason: str) -> None:
    with pytest.raises(ContractError) as info:
        decode_state(dumps({**GOOD, field: bad}))
    assert info.value.reason == reason
    assert field in str(info.value)


@pytest.mark.parametrize("missing", ["value", "ts", "seq", "boot"])
def test_missing_fields_are_refused(missing: str) -> None:
    with pytest.raises(ContractError):
        decode_state(dumps({k: v for k, v in GOOD.items() if k != missing}))


@pytest.mark.parametrize(
    "payload",
    [
        b"{",
        b"21.4",
        b"[]",
        b"null",
        b"\xff\xfe",
        b'{"value": NaN, "ts": "x", "seq": 1, "boot": "b"}',
    ],
)
def test_malformed_json_is_refused(payload: bytes) -> None:
    with pytest.raises(ContractError) as info:
        decode_state(payload)
    assert info.value.reason in {"bad_json", "bad_payload"}


def test_non_finite_values_are_refused() -> None:
    with pytest.raises(ContractError):
        decode_state(
            b'{"value": Infinity, "ts": "2026-11-24T06:00:00.123Z", "seq": 1, "boot": "b"}'
        )


def test_empty_and_oversized_payloads_are_refused_before_parsing() -> None:
    with pytest.raises(ContractError) as info:
        decode_state(b"")
    assert info.value.reason == "empty"
    big = dumps({**GOOD, "pad": "x" * MAX_STATE_BYTES})
    with pytest.raises(ContractError) as info:
        decode_state(big)
    assert info.value.reason == "oversize"


def entry(seq: int, **point: str) -> BacklogEntry:
    return BacklogEntry(
        value=seq * 1.5, unit="V", ts=format_ts(1764000000 + seq), seq=seq, boot="b1", **point
    )


def test_backlog_round_trips_in_order_with_hist_and_point_names() -> None:
    entries = [entry(1, sensor="temp1"), entry(2, actuator="relay1"), entry(3, sensor="temp1")]
    (message,) = encode_backlog(entries)
    docs = json.loads(message)
    assert [d["seq"] for d in docs] == [1, 2, 3]
    assert all(d["hist"] is True for d in docs)
    assert docs[1]["actuator"] == "relay1" and "sensor" not in docs[1]
    decoded = decode_backlog(message)
    assert decoded == entries
    assert [e.point for e in decoded] == ["temp1", "relay1", "temp1"]


def test_backlog_is_split_into_messages_within_the_limits() -> None:
    entries = [entry(i, sensor="temp1") for i in range(MAX_BACKLOG_ENTRIES * 2 + 5)]
    messages = encode_backlog(entries)
    assert len(messages) == 3
    assert all(len(m) <= MAX_BACKLOG_BYTES for m in messages)
    assert [e.seq for m in messages for e in decode_backlog(m)] == [e.seq for e in entries]


@pytest.mark.parametrize(
    "doc",
    [
        [{**GOOD, "hist": True}],  # names no point
        [{**GOOD, "sensor": "a", "actuator": "b", "hist": True}],  # names both
        [{**GOOD, "sensor": "Bad", "hist": True}],
        [{**GOOD, "sensor": "a", "hist": False}],
        {"not": "an array"},
    ],
)
def test_bad_backlogs_are_refused(doc: object) -> None:
    with pytest.raises(ContractError):
        decode_backlog(dumps(doc))


def test_backlog_with_too_many_entries_is_refused() -> None:
    doc = [{**GOOD, "sensor": "a", "hist": True, "seq": i} for i in range(MAX_BACKLOG_ENTRIES + 1)]
    with pytest.raises(ContractError):
        decode_backlog(dumps(doc))


def test_availability_is_plain_online_or_offline() -> None:
    assert decode_availability(b"online") is True
    assert decode_availability(b"offline") is False
    assert encode_availability(True) == b"online"
    assert encode_availability(False) == b"offline"
    for bad in (b"ONLINE", b"1", b'"online"', b"online\n"):
        with pytest.raises(ContractError) as info:
            decode_availability(bad)
        assert info.value.reason == "bad_payload"
    with pytest.raises(ContractError) as info:
        decode_availability(b"")
    assert info.value.reason == "empty"  # a cleared retained message


def test_replay_request_is_an_ordered_bounded_range() -> None:
    request = decode_replay(b'{"from_seq": 10, "to_seq": 20}')
    assert (request.from_seq, request.to_seq) == (10, 20)
    assert json.loads(encode_model(request)) == {"from_seq": 10, "to_seq": 20}
    for bad in (
        b'{"from_seq": 20, "to_seq": 10}',
        b'{"from_seq": 1.5, "to_seq": 10}',
        b'{"from_seq": 0, "to_seq": %d}' % MAX_REPLAY_SPAN,
        b'{"from_seq": -1, "to_seq": 1}',
        b'{"to_seq": 1}',
    ):
        with pytest.raises(ContractError):
            decode_replay(bad)


def test_ack_round_trips_and_has_no_seq() -> None:
    ack = Ack(
        cid="c1", status=AckStatus.REJECTED, value=None, ts=format_ts(1764000000), error="bad value"
    )
    doc = json.loads(encode_model(ack))
    assert doc == {
        "cid": "c1",
        "status": "rejected",
        "ts": "2025-11-24T16:00:00.000Z",
        "error": "bad value",
    }
    assert "seq" not in doc
    assert decode_ack(encode_model(ack)) == ack
    ok = decode_ack(
        b'{"cid": null, "status": "ok", "value": true, "ts": "2026-11-24T06:00:00.123Z"}'
    )
    assert ok.status is AckStatus.OK and ok.value is True and ok.error is None
    for bad in (
        b'{"cid": "c", "status": "done", "ts": "2026-11-24T06:00:00.123Z"}',
        b'{"cid": "c", "status": "ok"}',
        b'{"cid": 5, "status": "ok", "ts": "2026-11-24T06:00:00.123Z"}',
    ):
        with pytest.raises(ContractError):
            decode_ack(bad)


def test_timestamps_are_utc_with_milliseconds() -> None:
    moment = datetime(2026, 11, 24, 6, 0, 0, 123456, tzinfo=UTC)
    assert format_ts(moment) == "2026-11-24T06:00:00.123Z"
    assert parse_ts("2026-11-24T06:00:00.123Z") == moment.replace(microsecond=123000)
    with pytest.raises(ContractError):
        parse_ts("2026-13-24T06:00:00.123Z")
    with pytest.raises(ValueError, match="naive"):
        format_ts(datetime(2026, 1, 1))  # a naive datetime is the point


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_escape_as_anything_but_contract_error(payload: bytes) -> None:
    for decode in (decode_state, decode_backlog, decode_ack, decode_replay, decode_availability):
        try:
            decode(payload)
        except ContractError as exc:
            assert exc.reason


def test_ack_of_a_plain_command_round_trips_with_a_null_cid() -> None:
    # Regression: encode_model dropped the null cid, and decode_ack then refused the ack.
    ack = Ack(cid=None, status=AckStatus.OK, value=True, ts=format_ts(1764000000))
    doc = json.loads(encode_ack(ack))
    assert doc == {"cid": None, "status": "ok", "value": True, "ts": "2025-11-24T16:00:00.000Z"}
    assert decode_ack(encode_ack(ack)) == ack
    assert decode_ack(b'{"status": "ok", "ts": "2026-11-24T06:00:00.123Z"}').cid is None
    refused = Ack(cid="c", status=AckStatus.REJECTED, ts=format_ts(0), error="bad_value: x")
    assert json.loads(encode_ack(refused))["error"] == "bad_value: x"
    assert json.loads(encode_ack(refused))["value"] is None
