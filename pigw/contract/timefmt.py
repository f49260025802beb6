"""Timestamps on the wire: UTC ISO-8601 with milliseconds, e.g. ``2026-11-24T06:00:00.123Z``."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final

from pigw.contract.errors import ContractError

TS_PATTERN: Final = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"
_TS_RE: Final = re.compile(TS_PATTERN)


def format_ts(moment: datetime | float) -> str:
    """Format an aware datetime or a POSIX time as the contract's ``ts``."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (UTC)")
        dt = moment.astimezone(UTC)
    else:
        dt = datetime.fromtimestamp(moment, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def now_ts() -> str:
    """The current time as the contract's ``ts``."""
    return format_ts(datetime.now(UTC))


def parse_ts(text: str) -> datetime:
    """Parse a contract ``ts`` (strict form) into an aware UTC datetime."""
    if not isinstance(text, str) or not _TS_RE.match(text):
        raise ContractError("bad_ts", f"timestamp {text!r} is not UTC ISO-8601 with milliseconds")
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:  # e.g. month 13: the pattern only checks the shape
        raise ContractError("bad_ts", f"timestamp {text!r}: {exc}") from exc


def parse_deadline(text: str) -> datetime:
    """Parse a command's ``exp``: any ISO-8601 time; without an offset it is taken as UTC."""
    if not isinstance(text, str):
        raise ContractError("bad_payload", "exp must be an ISO-8601 string")
    try:
        dt = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ContractError("bad_payload", f"exp {text!r} is not ISO-8601") from exc
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
