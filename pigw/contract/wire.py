"""The wire form of what an agent publishes, built with ``json`` alone (no pydantic).

The agent's path imports this module, :mod:`~pigw.contract.description`, the topics, ids, kinds,
time format and commands, and never pydantic: that library (and the validators it compiles) is the
gateway's, which parses what arrives with :mod:`~pigw.contract.payloads`. Both sides produce the
same bytes: :mod:`~pigw.contract.payloads` encodes through these functions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pigw.contract.errors import ContractError
from pigw.contract.limits import (
    MAX_BACKLOG_BYTES,
    MAX_BACKLOG_ENTRIES,
    MAX_REPLAY_SPAN,
    MAX_STATE_BYTES,
    SEQ_LIMIT,
)

ONLINE: bytes = b"online"
OFFLINE: bytes = b"offline"


class AckStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    REJECTED = "rejected"
    EXPIRED = "expired"


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON; NaN and infinities are refused (``ValueError``), as JSON has none."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def encode_state_fields(
    value: bool | int | float, unit: str | None, ts: str, seq: int, boot: str
) -> bytes:
    """A state's wire form: ``value``, ``unit`` (``null`` kept, so consumers always find the same
    keys), ``ts``, ``seq``, ``boot``."""
    return dumps({"value": value, "unit": unit, "ts": ts, "seq": seq, "boot": boot})


def backlog_item(state: bytes, point: str, is_sensor: bool) -> bytes:
    """One backlog entry from a state's exact bytes (a compact JSON object): the same fields plus
    ``sensor`` or ``actuator`` and ``"hist": true``. Spliced, not re-parsed: point ids are
    ``[a-z0-9_-]`` and need no escaping."""
    if not state.endswith(b"}") or len(state) < 2:
        raise ContractError("bad_payload", "a stored state is not a JSON object")
    key = b"sensor" if is_sensor else b"actuator"
    return b'%s,"%s":"%s","hist":true}' % (state[:-1], key, point.encode())


def join_backlog(items: Iterable[bytes]) -> list[bytes]:
    """Backlog messages for encoded entries (oldest first): as few JSON arrays as the limits
    (:data:`MAX_BACKLOG_ENTRIES` entries, :data:`MAX_BACKLOG_BYTES` bytes) allow, in order."""
    messages: list[bytes] = []
    batch: list[bytes] = []
    size = 2  # the brackets
    for item in items:
        if batch and (
            len(batch) == MAX_BACKLOG_ENTRIES or size + len(item) + 1 > MAX_BACKLOG_BYTES
        ):
            messages.append(b"[" + b",".join(batch) + b"]")
            batch, size = [], 2
        batch.append(item)
        size += len(item) + 1
    if batch:
        messages.append(b"[" + b",".join(batch) + b"]")
    return messages


@dataclass(frozen=True, slots=True)
class AckReply:
    """A command acknowledgement as the agent sends it on ``<p>/<dev>/<actuator>/ack``."""

    cid: str | None
    status: AckStatus
    value: bool | float | None
    ts: str
    error: str | None = None


def encode_ack_fields(
    cid: str | None, status: str, value: bool | float | None, ts: str, error: str | None
) -> bytes:
    """``cid``, ``status``, ``value`` and ``ts`` always (``null`` when unset, so a plain command's
    ack still names its missing cid), ``error`` only when there is one."""
    doc: dict[str, Any] = {"cid": cid, "status": str(status), "value": value, "ts": ts}
    if error is not None:
        doc["error"] = error
    return dumps(doc)


def encode_ack_reply(ack: AckReply) -> bytes:
    return encode_ack_fields(ack.cid, ack.status, ack.value, ack.ts, ack.error)


def encode_availability(online: bool) -> bytes:
    return ONLINE if online else OFFLINE


def parse_replay(payload: bytes) -> tuple[int, int]:
    """``{"from_seq", "to_seq"}`` (inclusive) as two ints, or :class:`ContractError` with the same
    reasons as :func:`pigw.contract.decode_replay` (``empty``, ``oversize``, ``bad_json``,
    ``bad_seq``, ``bad_payload``)."""
    if not payload:
        raise ContractError("empty", "empty replay request payload")
    if len(payload) > MAX_STATE_BYTES:
        raise ContractError(
            "oversize", f"replay request payload of {len(payload)} bytes exceeds {MAX_STATE_BYTES}"
        )
    try:
        doc = json.loads(payload)
    except ValueError as exc:
        raise ContractError("bad_json", f"replay request is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ContractError("bad_payload", "replay request: payload: not a JSON object")
    first, last = _seq(doc, "from_seq"), _seq(doc, "to_seq")
    if last < first:
        raise ContractError("bad_payload", "replay request: to_seq is below from_seq")
    if last - first >= MAX_REPLAY_SPAN:
        raise ContractError(
            "bad_payload", f"replay request: a replay request spans at most {MAX_REPLAY_SPAN} seqs"
        )
    return first, last


def _seq(doc: dict[str, Any], key: str) -> int:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < SEQ_LIMIT:
        raise ContractError("bad_seq", f"replay request: {key}: not an integer in [0, 2^53)")
    return value
