"""The wire contract of pigw (``../shared/CONTRACT.md``) as code: topic names, ids and payloads.

The agent, the gateway, the tests and the benchmarks import this package and nothing else to build
or read a topic or a payload. It is pure (standard library and pydantic only), so it is unit-tested
without a broker.
"""

from pigw.contract.commands import (
    Command,
    RawValue,
    actuator_value,
    decode_command,
    encode_command,
)
from pigw.contract.errors import ContractError
from pigw.contract.ids import RESERVED_IDS, check_id, derive_id, is_valid_id
from pigw.contract.limits import (
    MAX_BACKLOG_BYTES,
    MAX_BACKLOG_ENTRIES,
    MAX_META_BYTES,
    MAX_PACKET_BYTES,
    MAX_REPLAY_SPAN,
    MAX_STATE_BYTES,
    SEQ_LIMIT,
)
from pigw.contract.meta import (
    BINARY_SENSOR_KINDS,
    DIMMABLE_ACTUATOR_KINDS,
    ActuatorKind,
    ActuatorMeta,
    DeviceMeta,
    SensorKind,
    SensorMeta,
)
from pigw.contract.payloads import (
    OFFLINE,
    ONLINE,
    Ack,
    AckStatus,
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
    encode_availability,
    encode_backlog,
    encode_model,
    encode_state,
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
    "RESERVED_IDS",
    "SEQ_LIMIT",
    "Ack",
    "AckStatus",
    "ActuatorKind",
    "ActuatorMeta",
    "BacklogEntry",
    "Command",
    "ContractError",
    "DeviceMeta",
    "ParsedTopic",
    "RawValue",
    "ReplayRequest",
    "SensorKind",
    "SensorMeta",
    "StateMessage",
    "TopicKind",
    "Topics",
    "Value",
    "actuator_value",
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
    "encode_availability",
    "encode_backlog",
    "encode_command",
    "encode_model",
    "encode_state",
    "format_ts",
    "is_valid_id",
    "now_ts",
    "parse_deadline",
    "parse_ts",
]
