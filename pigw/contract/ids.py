"""Identifiers on the wire: device, sensor, actuator and gateway ids (CONTRACT.md, "MQTT topics")."""

from __future__ import annotations

import re
from typing import Final

from pigw.contract.errors import ContractError

#: ``[a-z0-9][a-z0-9_-]{0,63}`` — lower case so topics are unambiguous on case-insensitive tools
#: (Node-RED flows, HA entity ids) and at most 64 characters.
ID_REGEX: Final = r"^[a-z0-9][a-z0-9_-]{0,63}$"
ID_PATTERN: Final = re.compile(ID_REGEX)

#: Words that are topic levels of their own under ``pigw/<dev>/`` (or the gateway namespace), so a
#: device, sensor or actuator must not take them as its id.
RESERVED_IDS: Final = frozenset({"status", "meta", "backlog", "replay", "_gateway"})


def is_valid_id(candidate: object) -> bool:
    """True when ``candidate`` is a string that matches the id pattern and is not reserved."""
    return (
        isinstance(candidate, str)
        and ID_PATTERN.fullmatch(candidate) is not None
        and candidate not in RESERVED_IDS
    )


def check_id(candidate: object, what: str = "id") -> str:
    """Return ``candidate`` if it is a valid id, else raise :class:`ContractError` naming ``what``."""
    if not isinstance(candidate, str):
        raise ContractError("bad_id", f"{what} must be a string, got {type(candidate).__name__}")
    if candidate in RESERVED_IDS:
        raise ContractError("bad_id", f"{what} {candidate!r} is a reserved word")
    if ID_PATTERN.fullmatch(candidate) is None:
        raise ContractError(
            "bad_id",
            f"{what} {candidate!r} must match [a-z0-9][a-z0-9_-]{{0,63}}",
        )
    return candidate


def derive_id(text: str, fallback: str = "pigw") -> str:
    """Turn free text (a host name, say) into a valid id: lower case, other characters to ``-``.

    Used for the default gateway id, which must be stable across restarts (it is the MQTT client id
    suffix of a persistent session) and is therefore derived from the host name, not random.
    """
    cleaned = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")[:64]
    return cleaned if is_valid_id(cleaned) else fallback
