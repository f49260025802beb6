"""Commands on ``<p>/<dev>/<actuator>/set`` (CONTRACT.md, "command" and its rules).

A command arrives in one of two forms:

* plain: ``ON`` / ``OFF`` / ``true`` / ``false`` / ``1`` / ``0`` / a number (what Home Assistant,
  Node-RED and ``mosquitto_pub`` send without ceremony);
* JSON: ``{"value": …, "cid": "<uuid>", "exp": "<iso ts>"}`` (what the gateway sends, so that the
  acknowledgement can be matched and a stale command is not executed late).

Parsing the payload and checking the value against the actuator's kind are separate steps: the
payload can be refused before the actuator is known (``rejected``), the value only once it is.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pigw.contract.errors import ContractError
from pigw.contract.kinds import DIMMABLE_ACTUATOR_KINDS, ActuatorKind
from pigw.contract.limits import MAX_CID_LENGTH, MAX_STATE_BYTES
from pigw.contract.timefmt import format_ts, parse_deadline

#: A command's value before it is checked against an actuator: as the sender wrote it.
RawValue = bool | int | float | str

_ON_WORDS = frozenset({"on", "true", "1"})
_OFF_WORDS = frozenset({"off", "false", "0"})


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed command. ``cid`` and ``exp`` are ``None`` in the plain form."""

    value: RawValue
    cid: str | None = None
    exp: datetime | None = None

    def expired(self, now: datetime) -> bool:
        """True when the command carries a deadline that ``now`` (aware, UTC) has passed."""
        return self.exp is not None and now > self.exp


def decode_command(payload: bytes) -> Command:
    """Parse a ``/set`` payload in either form; an empty, oversized or malformed one raises
    :class:`ContractError` (the agent acks it ``rejected``)."""
    if len(payload) > MAX_STATE_BYTES:
        raise ContractError(
            "oversize", f"command of {len(payload)} bytes exceeds {MAX_STATE_BYTES}"
        )
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise ContractError("bad_payload", "command is not UTF-8") from exc
    if not text:
        raise ContractError("empty", "empty command")
    if text.lower() in _ON_WORDS | _OFF_WORDS:
        return Command(text)
    try:
        doc = json.loads(text)
    except ValueError:
        # Not JSON and not a known word: keep the text, the actuator check refuses it with a reason.
        return Command(text)
    except RecursionError as exc:
        # json's C decoder recurses per nesting level: "[[[[…" within the size limit exhausts the
        # stack (issue 17, item 6), which no caller expects from a parser.
        raise ContractError("bad_payload", "command JSON is nested too deeply") from exc
    if isinstance(doc, dict):
        return _from_object(doc)
    return Command(_raw_value(doc))


def _from_object(doc: dict[str, Any]) -> Command:
    if "value" not in doc:
        raise ContractError("bad_payload", "a JSON command needs a 'value'")
    cid = doc.get("cid")
    if cid is not None and (not isinstance(cid, str) or not 0 < len(cid) <= MAX_CID_LENGTH):
        raise ContractError(
            "bad_payload", f"cid must be a string of 1..{MAX_CID_LENGTH} characters"
        )
    exp = doc.get("exp")
    return Command(_raw_value(doc["value"]), cid, parse_deadline(exp) if exp is not None else None)


def _raw_value(value: object) -> RawValue:
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise ContractError("bad_value", f"command value {value!r} is not a switch word or a number")


def actuator_value(kind: ActuatorKind, raw: RawValue) -> bool | float:
    """The value ``raw`` asks an actuator of ``kind`` to take, or :class:`ContractError`
    (``bad_value``) when that actuator cannot take it.

    On/off outputs take ON/OFF/true/false/1/0 (any case). PWM outputs take a number in [0, 1]; as
    Home Assistant's light switch sends ON/OFF, those mean 1.0/0.0 there."""
    if kind in DIMMABLE_ACTUATOR_KINDS:
        return _level(raw)
    return _switch(raw)


def _switch(raw: RawValue) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _ON_WORDS:
            return True
        if word in _OFF_WORDS:
            return False
    raise ContractError("bad_value", f"{_short(raw)} is not ON/OFF/true/false/1/0")


def _level(raw: RawValue) -> float:
    if isinstance(raw, bool):
        return 1.0 if raw else 0.0
    if isinstance(raw, int) and not 0 <= raw <= 1:
        # Checked as an int: a 400-digit integer does not convert to float (OverflowError; issue
        # 17, item 6).
        raise ContractError("bad_value", f"{_short(raw)} is not a number in [0, 1]")
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _ON_WORDS - {"1"} or word in _OFF_WORDS - {"0"}:
            return 1.0 if word in _ON_WORDS else 0.0
        try:
            raw = float(word)
        except ValueError as exc:
            raise ContractError("bad_value", f"{_short(raw)} is not a number in [0, 1]") from exc
    if math.isfinite(raw) and 0.0 <= raw <= 1.0:
        return float(raw)
    raise ContractError("bad_value", f"{_short(raw)} is not a number in [0, 1]")


def _short(raw: RawValue) -> str:
    """``raw`` for an error message, cut to a readable length (a payload may be 4 KiB of digits)."""
    text = repr(raw)
    return text if len(text) <= 40 else f"{text[:37]}..."


def encode_command(
    value: bool | float, cid: str | None = None, exp: datetime | None = None
) -> bytes:
    """The JSON form of a command, as the gateway sends it."""
    doc: dict[str, Any] = {"value": value}
    if cid is not None:
        doc["cid"] = cid
    if exp is not None:
        doc["exp"] = format_ts(exp)
    return json.dumps(doc, separators=(",", ":")).encode()
