"""How many streams may be open at once, in all (``--max-streams``) and per token
(``--max-streams-per-token``), and which credential opened each: the hub's admission budget.

Every admitted stream holds a :class:`StreamTicket` until it ends. The ticket says which budget key
it counts against (the token's name; ``None`` in open mode, where every client is the same
principal and only ``--max-streams`` applies) and how to tell whether the credential that opened
it is still good (issue 17: a removed token, a changed role or an ended session). After every such
change :meth:`StreamSlots.revoke` ends the streams whose credential is gone: the hub closes them
(``revoked``), an SSE stream's response ends, a WebSocket closes with 1008.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from gateway.hub.hub import Hub
from gateway.hub.subscriber import Subscriber

#: Why a stream's end came from its credential (``Subscriber.closed``).
REVOKED: Final = "revoked"


class StreamTicket:
    """One admitted stream's place in the budget; ``sub`` is set once it has subscribed."""

    __slots__ = ("key", "sub", "valid")

    def __init__(self, key: str | None, valid: Callable[[], bool]) -> None:
        self.key = key
        self.valid = valid
        self.sub: Subscriber | None = None


class StreamSlots:
    """Counts open streams (SSE + WebSocket) against ``limit`` and each token's against
    ``per_token``; a stream that got a slot gives it back exactly once, when it ends
    (``gateway/streams/admission.py`` takes, the stream releases)."""

    __slots__ = ("_by_key", "_tickets", "limit", "per_token", "revoked", "used")

    def __init__(self, limit: int, per_token: int | None = None) -> None:
        self.limit = limit
        self.per_token = per_token
        self.used = 0
        self.revoked = 0  # streams ended because their credential went
        self._by_key: dict[str, int] = {}
        self._tickets: set[StreamTicket] = set()

    def acquire(self, ticket: StreamTicket | None = None) -> str | None:
        """Take a slot for ``ticket``: ``None`` when taken, else what is full (``max_streams``
        or ``max_streams_per_token``; nothing taken)."""
        if self.used >= self.limit:
            return "max_streams"
        key = None if ticket is None else ticket.key
        if key is not None and self.per_token is not None:
            if self._by_key.get(key, 0) >= self.per_token:
                return "max_streams_per_token"
            self._by_key[key] = self._by_key.get(key, 0) + 1
        self.used += 1
        if ticket is not None:
            self._tickets.add(ticket)
        return None

    def release(self, ticket: StreamTicket | None = None) -> None:
        self.used -= 1
        if ticket is None:
            return
        self._tickets.discard(ticket)
        key = ticket.key
        if key is not None and key in self._by_key:
            left = self._by_key[key] - 1
            if left:
                self._by_key[key] = left
            else:
                del self._by_key[key]

    def held_by(self, key: str) -> int:
        """Streams open for one token."""
        return self._by_key.get(key, 0)

    def attach(self, ticket: StreamTicket, sub: Subscriber, hub: Hub) -> None:
        """The admitted stream subscribed: from now on it can be revoked (at once, if its
        credential went while it was starting)."""
        ticket.sub = sub
        if not ticket.valid():
            self._end(hub, sub)

    def revoke(self, hub: Hub) -> int:
        """End every open stream whose credential is no longer valid; how many."""
        ended = 0
        for ticket in list(self._tickets):
            sub = ticket.sub
            if sub is not None and sub.closed is None and not ticket.valid():
                self._end(hub, sub)
                ended += 1
        return ended

    def _end(self, hub: Hub, sub: Subscriber) -> None:
        self.revoked += 1
        if sub.sending_since is not None:
            hub.kick(sub, REVOKED)  # stuck in a write: drop it rather than wait
        else:
            hub.close(sub, REVOKED)
