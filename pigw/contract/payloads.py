"""Payload models and their wire encoding (CONTRACT.md, the "payload" column).

Every ``decode_*`` function takes the raw MQTT payload (bytes), refuses anything over its size limit
or off the contract with a :class:`ContractError` whose ``reason`` is a metric label, and returns an
immutable model. Every ``encode_*`` function returns compact UTF-8 JSON (or the plain strings the
contract names). Nothing else in pigw calls ``json.loads`` on a payload.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from pigw.contract.errors import ContractError
from pigw.contract.limits import (
    MAX_BACKLOG_BYTES,
    MAX_BACKLOG_ENTRIES,
    MAX_CID_LENGTH,
    MAX_META_BYTES,
    MAX_REPLAY_SPAN,
    MAX_STATE_BYTES,
    MAX_TEXT_LENGTH,
    SEQ_LIMIT,
)
from pigw.contract.meta import DeviceMeta, PointId
from pigw.contract.timefmt import TS_PATTERN
from pigw.contract.wire import (
    OFFLINE,
    ONLINE,
    AckStatus,
    dumps,
    encode_ack_fields,
    encode_availability,
    encode_state_fields,
    join_backlog,
)

__all__ = [
    "OFFLINE",
    "ONLINE",
    "Ack",
    "AckStatus",
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
    "encode_availability",
    "encode_backlog",
    "encode_model",
    "encode_state",
]

#: A sequence number: a JSON integer (not a float, not a bool, not a string) in [0, 2^53).
Seq = Annotated[int, Field(strict=True, ge=0, lt=SEQ_LIMIT)]
Timestamp = Annotated[str, Field(pattern=TS_PATTERN)]
BootId = Annotated[str, Field(min_length=1, max_length=64)]
FiniteFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]
#: A reading's value: true/false for digital inputs and on/off outputs, a finite number otherwise.
Value = StrictBool | StrictInt | FiniteFloat
Cid = Annotated[str, Field(min_length=1, max_length=MAX_CID_LENGTH)]


class StateMessage(BaseModel):
    """A sensor reading or an actuator state, as published retained on ``<p>/<dev>/<id>/state``."""

    # Unknown keys are ignored (forward compatibility); known keys are strictly typed.
    model_config = ConfigDict(extra="ignore", frozen=True)

    value: Value
    unit: Annotated[str, Field(max_length=MAX_TEXT_LENGTH)] | None = None
    ts: Timestamp
    seq: Seq
    boot: BootId


class BacklogEntry(StateMessage):
    """One state inside a backlog message: names its sensor or actuator and is marked ``hist``."""

    sensor: PointId | None = None
    actuator: PointId | None = None
    hist: Literal[True] = True

    @model_validator(mode="after")
    def _names_exactly_one_point(self) -> BacklogEntry:
        if (self.sensor is None) == (self.actuator is None):
            raise ValueError("a backlog entry names exactly one of 'sensor' or 'actuator'")
        return self

    @property
    def point(self) -> str:
        """The sensor or actuator id this state belongs to."""
        return self.sensor if self.sensor is not None else self.actuator  # type: ignore[return-value]


class ReplayRequest(BaseModel):
    """``{"from_seq", "to_seq"}`` (inclusive): the agent republishes what it holds in that range."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    from_seq: Seq
    to_seq: Seq

    @model_validator(mode="after")
    def _ordered_and_bounded(self) -> ReplayRequest:
        if self.to_seq < self.from_seq:
            raise ValueError("to_seq is below from_seq")
        if self.to_seq - self.from_seq >= MAX_REPLAY_SPAN:
            raise ValueError(f"a replay request spans at most {MAX_REPLAY_SPAN} seqs")
        return self


class Ack(BaseModel):
    """A command acknowledgement on ``<p>/<dev>/<actuator>/ack``; carries no ``seq``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    #: ``null`` for a command in the plain form (no cid); a missing key reads as ``null``.
    cid: Cid | None = None
    status: AckStatus
    value: Value | None = None
    ts: Timestamp
    error: Annotated[str, Field(max_length=1024)] | None = None


_BacklogAdapter: TypeAdapter[list[BacklogEntry]] = TypeAdapter(
    Annotated[list[BacklogEntry], Field(max_length=MAX_BACKLOG_ENTRIES)]
)

_M = TypeVar("_M", bound=BaseModel)


def _validate(model: type[_M], payload: bytes, limit: int, what: str) -> _M:
    _check_size(payload, limit, what)
    try:
        return model.model_validate_json(payload)
    except ValidationError as exc:
        raise _translate(exc, what) from exc


def _check_size(payload: bytes, limit: int, what: str) -> None:
    if not payload:
        raise ContractError("empty", f"empty {what} payload")
    if len(payload) > limit:
        raise ContractError("oversize", f"{what} payload of {len(payload)} bytes exceeds {limit}")


def _translate(exc: ValidationError, what: str) -> ContractError:
    first = exc.errors(include_url=False)[0]
    location = ".".join(str(part) for part in first["loc"]) or "payload"
    if first["type"].startswith("json"):
        return ContractError("bad_json", f"{what} is not JSON: {first['msg']}")
    if first["loc"][-1:] == ("seq",):
        return ContractError("bad_seq", f"{what}: {location}: {first['msg']}")
    if "value" in first["loc"][:-1]:  # a union member's complaint ("value.bool: …") misleads
        return ContractError("bad_payload", f"{what}: value must be true/false or a finite number")
    return ContractError("bad_payload", f"{what}: {location}: {first['msg']}")


# --- decoding ------------------------------------------------------------------------------


def decode_state(payload: bytes) -> StateMessage:
    """Parse a sensor reading or actuator state."""
    return _validate(StateMessage, payload, MAX_STATE_BYTES, "state")


def decode_backlog(payload: bytes) -> list[BacklogEntry]:
    """Parse a backlog message: a JSON array of states, oldest first."""
    _check_size(payload, MAX_BACKLOG_BYTES, "backlog")
    try:
        return _BacklogAdapter.validate_json(payload)
    except ValidationError as exc:
        raise _translate(exc, "backlog") from exc


def decode_meta(payload: bytes) -> DeviceMeta:
    """Parse a device description."""
    return _validate(DeviceMeta, payload, MAX_META_BYTES, "meta")


def decode_ack(payload: bytes) -> Ack:
    """Parse a command acknowledgement."""
    return _validate(Ack, payload, MAX_STATE_BYTES, "ack")


def decode_replay(payload: bytes) -> ReplayRequest:
    """Parse a replay request."""
    return _validate(ReplayRequest, payload, MAX_STATE_BYTES, "replay request")


def decode_availability(payload: bytes) -> bool:
    """Parse ``online``/``offline`` (device status, sensor availability, gateway status).

    An empty payload is refused with reason ``empty``: on a retained topic it means somebody cleared
    the retained message, which a consumer may treat as "forget this"."""
    if payload == ONLINE:
        return True
    if payload == OFFLINE:
        return False
    _check_size(payload, MAX_STATE_BYTES, "availability")
    raise ContractError(
        "bad_payload", f"availability must be 'online' or 'offline', got {payload[:32]!r}"
    )


# --- encoding ------------------------------------------------------------------------------


def encode_model(model: BaseModel) -> bytes:
    """Compact JSON of a payload model, leaving out optional fields that are unset (``None``).
    (A :class:`DeviceMeta` keeps every field: see :func:`encode_meta`.)"""
    if isinstance(model, DeviceMeta):
        return encode_meta(model)
    return dumps(model.model_dump(mode="json", exclude_none=True))


def encode_meta(meta: DeviceMeta) -> bytes:
    """A device description with every field of every entry, ``null`` where it does not apply
    (the same shape as :func:`pigw.contract.description.encode_description`)."""
    return dumps(meta.model_dump(mode="json"))


def encode_state(state: StateMessage) -> bytes:
    """A state's wire form. ``unit`` is kept (as ``null``) so consumers find the same keys always."""
    return encode_state_fields(state.value, state.unit, state.ts, state.seq, state.boot)


def encode_backlog(entries: Sequence[BacklogEntry]) -> list[bytes]:
    """Backlog messages for ``entries`` (oldest first): as few messages as the limits allow, each a
    JSON array of entries with ``sensor`` or ``actuator`` and ``"hist": true``, in order."""
    return join_backlog(
        dumps(entry.model_dump(mode="json", exclude_none=True)) for entry in entries
    )


def encode_ack(ack: Ack) -> bytes:
    """An ack's wire form: ``cid``, ``status``, ``value`` and ``ts`` always (``null`` when unset,
    so a plain command's ack still names its missing cid), ``error`` only when there is one."""
    return encode_ack_fields(ack.cid, ack.status, ack.value, ack.ts, ack.error)
