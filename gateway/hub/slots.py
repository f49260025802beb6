"""How many streams may be open at once (``--max-streams``): the hub's admission budget."""

from __future__ import annotations


class StreamSlots:
    """Counts open streams (SSE + WebSocket) against ``limit``; a stream that got a slot gives it
    back exactly once, when it ends (``gateway/streams/admission.py`` takes, the stream releases)."""

    __slots__ = ("limit", "used")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def acquire(self) -> bool:
        """Take a slot; False (and nothing taken) when all ``limit`` are in use."""
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    def release(self) -> None:
        self.used -= 1
