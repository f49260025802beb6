"""The bounded ring of recent events: the fan-out buffer and the Last-Event-ID resume buffer.

Events are numbered without holes (``n`` = the previous ``n`` + 1), so the event with number ``n``
sits at a computable position and "everything from ``n`` on" is one list slice. The ring is a list
with a moving start index instead of a ``deque`` because a deque cannot be sliced; the dead prefix
is cut off once it is as long as the live part, which keeps appends amortised O(1); the events in
it are released at once.
"""

from __future__ import annotations

from typing import cast

from gateway.hub.event import Event

#: What a dropped event's slot holds until the dead prefix is cut off (never read: every read
#: starts at ``_start``).
_DROPPED: Event = cast(Event, None)


class Ring:
    """At most ``max_events`` events and ``max_bytes`` of SSE encoding; the oldest go first."""

    __slots__ = ("_events", "_start", "bytes", "head", "max_bytes", "max_events")

    def __init__(self, max_events: int, max_bytes: int) -> None:
        self.max_events = max_events
        self.max_bytes = max_bytes
        self._events: list[Event] = []
        self._start = 0
        self.bytes = 0
        #: The number of the newest event; 0 before the first.
        self.head = 0

    def __len__(self) -> int:
        return len(self._events) - self._start

    @property
    def first(self) -> int:
        """The number of the oldest event held (``head + 1`` when empty)."""
        return self.head + 1 - len(self)

    def append(self, event: Event) -> None:
        if event.n != self.head + 1:
            raise ValueError(f"event {event.n} does not follow {self.head}")
        events = self._events
        events.append(event)
        self.head = event.n
        self.bytes += len(event.sse)
        start = self._start
        # len(self) inlined (it is len(events) - start): this runs once per event.
        held = len(events) - start
        while held > self.max_events or (self.bytes > self.max_bytes and held > 1):
            self.bytes -= len(events[start].sse)
            # The dead prefix keeps its slots until it is cut off, but not its events: they are
            # freed now (else up to as many dropped events as live ones stay in memory).
            events[start] = _DROPPED
            start += 1
            held -= 1
        if start >= 1024 and start * 2 >= len(events):
            del events[:start]
            start = 0
        self._start = start

    def holds(self, n: int) -> bool:
        """True when a stream whose next event is ``n`` can continue from the ring."""
        return self.first <= n <= self.head + 1

    def since(self, n: int, limit: int) -> list[Event]:
        """Up to ``limit`` events from number ``n`` on (``n`` must be held)."""
        begin = self._start + (n - self.first)
        return self._events[begin : begin + limit]
