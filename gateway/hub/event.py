"""One event: numbered once, encoded once, shared by every stream that delivers it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gateway.hub.encoding import sse_event, ws_message

#: The longest ``Last-Event-ID`` taken: ids are ``<epoch>-<n>``, far shorter. Stream admission
#: refuses longer ones (422, ``gateway/streams/admission.py``); the parser ignores them.
MAX_EVENT_ID: Final = 64


@dataclass(frozen=True, slots=True)
class EventId:
    """``<epoch>-<n>``: ``epoch`` names one run of the gateway, ``n`` counts its events."""

    epoch: str
    n: int

    def __str__(self) -> str:
        return f"{self.epoch}-{self.n}"


def parse_event_id(text: str | None) -> EventId | None:
    """An :class:`EventId` from a ``Last-Event-ID``; ``None`` for anything malformed (the stream
    then starts over with ``reset`` + ``snapshot``, as for an id from another epoch)."""
    if not text or len(text) > MAX_EVENT_ID:
        return None
    epoch, sep, number = text.strip().rpartition("-")
    if not sep or not epoch or not number.isdigit() or not number.isascii():
        return None
    return EventId(epoch, int(number))


class Event:
    """A live event. ``sse`` is its complete SSE encoding; the WebSocket text is derived from it on
    first use and kept (most installations have no WebSocket clients at all)."""

    __slots__ = ("_data_at", "_ws", "device", "n", "sse", "type")

    def __init__(self, epoch: str, n: int, name: str, device: str | None, data_json: str) -> None:
        self.n = n
        self.type = name
        self.device = device
        self.sse = sse_event(f"{epoch}-{n}", name, data_json)
        # data_json is ASCII (encoding.dumps keeps ensure_ascii), so characters are bytes.
        self._data_at = len(self.sse) - len(data_json) - 2
        self._ws: str | None = None

    @property
    def id(self) -> str:
        """``<epoch>-<n>``, read back from the encoding (not kept as a string of its own: the
        ring holds 10,000 events)."""
        return self.sse[4 : self.sse.index(b"\n")].decode()

    @property
    def size(self) -> int:
        return len(self.sse)

    @property
    def data_json(self) -> str:
        return self.sse[self._data_at : -2].decode()

    def ws_text(self) -> str:
        if self._ws is None:
            self._ws = ws_message(self.id, self.type, self.data_json)
        return self._ws

    def __repr__(self) -> str:
        return f"Event({self.id} {self.type} {self.device})"
