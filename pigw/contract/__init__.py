"""The wire contract of pigw (``../shared/CONTRACT.md``) as code: topic names, ids and payloads.

The agent, the gateway, the tests and the benchmarks import this package and nothing else to build
or read a topic or a payload. It is pure (standard library and pydantic only), so it is unit-tested
without a broker.

Two halves: what a publisher needs (topics, ids, kinds, commands, :mod:`~pigw.contract.wire`,
:mod:`~pigw.contract.description`) is plain Python and loads with the package; the pydantic models
that validate what arrives (:mod:`~pigw.contract.meta`, :mod:`~pigw.contract.payloads`) load on
first use of one of their names (PEP 562), so the agent never pays for pydantic's validators
(docs/agent.md, "Performance").
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pigw.contract.commands import (
    Command,
    RawValue,
    actuator_value,
    decode_command,
    encode_command,
)
from pigw.contract.description import (
    POINT_FIELDS,
    DeviceDescription,
    PointDescription,
    encode_description,
)
from pigw.contract.errors import ContractError
from pigw.contract.ids import RESERVED_IDS, check_id, derive_id, is_valid_id
from pigw.contract.kinds import (
    BINARY_SENSOR_KINDS,
    DIMMABLE_ACTUATOR_KINDS,
    ActuatorKind,
    SensorKind,
)
from pigw.contract.limits import (
    MAX_BACKLOG_BYTES,
    MAX_BACKLOG_ENTRIES,
    MAX_META_BYTES,
    MAX_PACKET_BYTES,
    MAX_REPLAY_SPAN,
    MAX_STATE_BYTES,
    SEQ_LIMIT,
)
from pigw.contract.timefmt import format_ts, now_ts, parse_deadline, parse_ts
from pigw.contract.topics import (
    DEFAULT_DISCOVERY_PREFIX,
    DEFAULT_PREFIX,
    ParsedTopic,
    TopicKind,
    Topics,
    check_prefix,
)
from pigw.contract.wire import (
    OFFLINE,
    ONLINE,
    AckReply,
    AckStatus,
    backlog_item,
    encode_ack_reply,
    encode_availability,
    encode_state_fields,
    join_backlog,
    parse_replay,
)

if TYPE_CHECKING:
    from pigw.contract.meta import ActuatorMeta, DeviceMeta, SensorMeta
    from pigw.contract.payloads import (
        Ack,
        BacklogEntry,
        ReplayRequest,
        StateMessage,
        Value,
        decode_ack,
        decode_availability,
        decode_backlog,
        decode_meta,
        decode_replay,
        decode_state,
        encode_ack,
        encode_backlog,
        encode_meta,
        encode_model,
        encode_state,
    )

#: Names served by the pydantic half, loaded on first access.
_LAZY = {
    "ActuatorMeta": "pigw.contract.meta",
    "DeviceMeta": "pigw.contract.meta",
    "SensorMeta": "pigw.contract.meta",
    **dict.fromkeys(
        (
            "Ack",
            "BacklogEntry",
            "ReplayRequest",
            "StateMessage",
            "Value",
            "decode_ack",
            "decode_availability",
            "decode_backlog",
            "decode_meta",
            "decode_replay",
            "decode_state",
            "encode_ack",
            "encode_backlog",
            "encode_meta",
            "encode_model",
            "encode_state",
        ),
        "pigw.contract.payloads",
    ),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pigw.contract' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "BINARY_SENSOR_KINDS",
    "DEFAULT_DISCOVERY_PREFIX",
    "DEFAULT_PREFIX",
    "DIMMABLE_ACTUATOR_KINDS",
    "MAX_BACKLOG_BYTES",
    "MAX_BACKLOG_ENTRIES",
    "MAX_META_BYTES",
    "MAX_PACKET_BYTES",
    "MAX_REPLAY_SPAN",
    "MAX_STATE_BYTES",
    "OFFLINE",
    "ONLINE",
    "POINT_FIELDS",
    "RESERVED_IDS",
    "SEQ_LIMIT",
    "Ack",
    "AckReply",
    "AckStatus",
    "ActuatorKind",
    "ActuatorMeta",
    "BacklogEntry",
    "Command",
    "ContractError",
    "DeviceDescription",
    "DeviceMeta",
    "ParsedTopic",
    "PointDescription",
    "RawValue",
    "ReplayRequest",
    "SensorKind",
    "SensorMeta",
    "StateMessage",
    "TopicKind",
    "Topics",
    "Value",
    "actuator_value",
    "backlog_item",
    "check_id",
    "check_prefix",
    "decode_ack",
    "decode_availability",
    "decode_backlog",
    "decode_command",
    "decode_meta",
    "decode_replay",
    "decode_state",
    "derive_id",
    "encode_ack",
    "encode_ack_reply",
    "encode_availability",
    "encode_backlog",
    "encode_command",
    "encode_description",
    "encode_meta",
    "encode_model",
    "encode_state",
    "encode_state_fields",
    "format_ts",
    "is_valid_id",
    "join_backlog",
    "now_ts",
    "parse_deadline",
    "parse_replay",
    "parse_ts",
]
