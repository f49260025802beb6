"""The stream's wire formats, standard library only.

Server-Sent Events (WHATWG HTML, "Server-sent events", §9.2.6 interpreting an event stream): a
``field: value`` line each, an empty line ends the event; ``data`` is one line of JSON here, which
``json.dumps`` guarantees (it escapes control characters, so no CR/LF can end the line early, and
``ensure_ascii`` keeps lone surrogates from breaking the UTF-8). A line starting with ``:`` is a
comment (the keep-alive). The WebSocket carries the same event as ``{"id", "type", "data"}``.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii as _quote
from typing import Any, Final

_encoder: Final = json.JSONEncoder(separators=(",", ":"), allow_nan=False)

PING: Final = b": ping\n\n"


def dumps(obj: Any) -> str:
    """Compact one-line JSON."""
    return _encoder.encode(obj)


def reading_json(
    device: str,
    role: str,
    point: str,
    *,
    value: bool | int | float,
    unit: str | None,
    ts: str,
    seq: int,
    boot: str,
    hist: bool,
) -> str:
    """The data of a ``reading`` (``role`` ``sensor``) or ``actuator`` event, exactly as
    :func:`dumps` encodes ``{"device", role, "value", "unit", "ts", "seq", "boot", "hist"}``, at a
    quarter of its cost: every reading of a backlog is one event (issue 14's benchmark). ``value``
    is finite (the contract refuses NaN and infinities), so ``repr`` is what ``json`` writes."""
    number = ("true" if value else "false") if value is True or value is False else repr(value)
    return (
        f'{{"device":{_quote(device)},"{role}":{_quote(point)},"value":{number},'
        f'"unit":{"null" if unit is None else _quote(unit)},"ts":{_quote(ts)},"seq":{seq},'
        f'"boot":{_quote(boot)},"hist":{"true" if hist else "false"}}}'
    )


def sse_event(event_id: str | None, name: str, data_json: str) -> bytes:
    """One SSE event; ``event_id`` ``None`` leaves out the ``id:`` line (the client keeps the last
    id it saw, which is what ``reset`` needs)."""
    head = (
        f"event: {name}\ndata: " if event_id is None else f"id: {event_id}\nevent: {name}\ndata: "
    )
    return (head + data_json + "\n\n").encode()


def sse_retry(milliseconds: int) -> bytes:
    """The reconnection-time hint (``retry:``)."""
    return f"retry: {milliseconds}\n\n".encode()


def ws_message(event_id: str | None, name: str, data_json: str) -> str:
    """The WebSocket form of an event: ``{"id", "type", "data"}`` (``id`` null for ``reset``)."""
    ident = "null" if event_id is None else f'"{event_id}"'
    return f'{{"id":{ident},"type":"{name}","data":{data_json}}}'
