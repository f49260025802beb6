"""Hypothesis strategies for malformed MQTT messages under the ``pigw`` prefix.

Most messages look almost right — a topic of the contract's shape with a bad id or an unknown
level, a state whose ``seq`` is a float or 2^53, a backlog with one bad entry, a meta with junk in
its sensors, a command that is not one — because near misses go deepest into a parser. The rest is
plain junk: random levels, random bytes, random JSON, empty payloads (which clear retained
messages and remove devices), and payloads far over the contract's size limits (still under the
broker's packet limit, so they reach the consumers).

Topics keep to what the broker accepts from a publisher (MQTT 5.0 §4.7: no ``+``/``#``, valid
UTF-8 without control characters), or the broker would drop the fuzzer's connection instead of
passing the message on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from pigw.contract.limits import MAX_BACKLOG_BYTES, SEQ_LIMIT

PREFIX = "pigw"
RESERVED = ["status", "meta", "backlog", "replay", "_gateway"]
LEAVES = ["state", "availability", "set", "ack"]
DEVICE_LEAVES = ["status", "meta", "backlog", "replay"]


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes
    retain: bool

    def __repr__(self) -> str:
        # Short: hypothesis builds reprs of what it generated, and warns (an error under
        # pytest's -W error) about reprs over 100 kB, which a 260 kB payload would be.
        shown = self.payload if len(self.payload) <= 64 else self.payload[:64] + b"..."
        return f"Message({self.topic!r}, {shown!r} ({len(self.payload)} B), retain={self.retain})"


_level_chars = st.characters(
    codec="utf-8",
    exclude_categories=("Cc", "Cs", "Cn", "Co"),
    exclude_characters="+#/\x00",
)
junk_level = st.text(_level_chars, min_size=0, max_size=24)
_ID_FIRST = "abcdefghijklmnopqrstuvwxyz0123456789"
good_id = st.builds(str.__add__, st.sampled_from(_ID_FIRST), st.text(_ID_FIRST + "_-", max_size=12))


def ids(known: list[str]) -> st.SearchStrategy[str]:
    """Ids: mostly real ones (``known``) and valid-looking ones, so that most messages reach the
    payload parsers; also reserved words, too long ones and junk."""
    bad = st.one_of(
        st.sampled_from(RESERVED),
        st.integers(min_value=65, max_value=80).map(lambda n: "x" * n),
        junk_level,
    )
    good = st.one_of(st.sampled_from(known), good_id)
    # Hypothesis does not pick one_of's branches evenly; choose good ids 4 times in 5 outright.
    return st.integers(min_value=0, max_value=4).flatmap(lambda k: bad if k == 0 else good)


def topics(known: list[str]) -> st.SearchStrategy[str]:
    device, point = ids(known), ids(["t", "door", "relay1", "pwm1", "temperature"])
    device_topic = st.builds(
        lambda d, leaf: f"{PREFIX}/{d}/{leaf}", device, st.sampled_from(DEVICE_LEAVES)
    )
    point_topic = st.builds(
        lambda d, p, leaf: f"{PREFIX}/{d}/{p}/{leaf}", device, point, st.sampled_from(LEAVES)
    )
    junk = st.one_of(
        st.builds(lambda g: f"{PREFIX}/_gateway/{g}/status", junk_level),
        st.lists(junk_level, min_size=1, max_size=6).map(
            lambda levels: "/".join([PREFIX, *levels])
        ),
        st.builds(lambda d, leaf: f"{PREFIX}/{d}/{leaf}", device, junk_level),
    )
    shapes = [device_topic, point_topic, point_topic, junk]
    return (
        st.integers(min_value=0, max_value=3)
        .flatmap(lambda k: shapes[k])
        .filter(lambda topic: len(topic.encode()) < 65_000)
    )


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=8,
)
bad_seq = st.one_of(
    st.integers(min_value=-(2**60), max_value=-1),
    st.integers(min_value=SEQ_LIMIT, max_value=2**70),
    st.integers(min_value=0, max_value=SEQ_LIMIT - 1),
    st.floats(allow_nan=False),
    st.text(max_size=10),
    st.booleans(),
    st.none(),
)
# fmt: off
_ts_like = st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}{}".format,
    st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32), st.integers(0, 25),
    st.integers(0, 60), st.integers(0, 61), st.integers(0, 999),
    st.sampled_from(["Z", "", "+00:00", "-05:30", "+25:00"]),
)
# fmt: on
bad_ts = st.one_of(
    st.just("2026-11-24T06:00:00.123Z"), st.text(max_size=30), st.integers(), _ts_like
)


def _near_state(role: str | None = None) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {
        "value": st.one_of(
            st.floats(), st.booleans(), st.integers(), st.text(max_size=5), st.none()
        ),
        "unit": st.one_of(st.none(), st.text(max_size=300)),
        "ts": bad_ts,
        "seq": bad_seq,
        "boot": st.one_of(st.text(max_size=12), st.integers()),
    }
    if role is not None:
        fields[role] = st.one_of(good_id, junk_level)
        fields["hist"] = st.one_of(st.just(True), json_scalars)
    base = st.fixed_dictionaries({}, optional=fields)
    extra = st.dictionaries(st.text(max_size=8), json_scalars, max_size=2)
    return st.builds(lambda b, e: {**e, **b}, base, extra)


def _near_meta() -> st.SearchStrategy[dict[str, Any]]:
    point = st.fixed_dictionaries(
        {},
        optional={
            "kind": st.one_of(
                st.sampled_from(["digital", "adc", "relay", "pwm_led", "nope"]), json_scalars
            ),
            "unit": json_scalars,
            "interval": json_scalars,
            "heartbeat": json_scalars,
            "deadband": json_scalars,
            "pin": json_scalars,
        },
    )
    points = st.dictionaries(st.one_of(good_id, junk_level), point, max_size=4)
    return st.fixed_dictionaries(
        {},
        optional={
            "id": st.one_of(good_id, json_scalars),
            "name": json_scalars,
            "model": json_scalars,
            "sw": json_scalars,
            "boot": json_scalars,
            "sensors": st.one_of(points, json_values),
            "actuators": st.one_of(points, json_values),
        },
    )


def _dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


payloads = st.one_of(
    st.just(b""),
    st.binary(max_size=512),
    st.sampled_from(
        [b"online", b"offline", b"ONLINE", b"on", b"ON", b"OFF", b"true", b"0.5", b"2"]
    ),
    json_values.map(_dumps),
    _near_state().map(_dumps),
    st.lists(_near_state("sensor") | _near_state("actuator"), max_size=6).map(_dumps),
    _near_meta().map(_dumps),
    st.fixed_dictionaries(
        {},
        optional={
            "from_seq": bad_seq,
            "to_seq": bad_seq,
            "cid": json_scalars,
            "value": json_scalars,
        },
    ).map(_dumps),
    st.text(max_size=200).map(str.encode),
    # Over every contract limit, under the broker's packet limit.
    st.integers(min_value=4 * 1024, max_value=MAX_BACKLOG_BYTES + 2 * 1024).map(lambda n: b"[" * n),
)


def messages(known: list[str]) -> st.SearchStrategy[Message]:
    return st.builds(Message, topics(known), payloads, st.booleans())
