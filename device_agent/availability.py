"""Per-sensor availability: ``offline`` after repeated read failures, ``online`` again on the first
good read (CONTRACT.md, "per-sensor availability"). Pure."""

from __future__ import annotations


class Availability:
    """Counts consecutive read failures of one sensor.

    :meth:`success` and :meth:`failure` return the new availability when it changed (to publish
    retained on ``<p>/<dev>/<sensor>/availability``) and ``None`` otherwise."""

    __slots__ = ("failures", "limit", "online", "total_failures")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.failures = 0
        self.total_failures = 0
        self.online = True

    def success(self) -> bool | None:
        self.failures = 0
        if not self.online:
            self.online = True
            return True
        return None

    def failure(self) -> bool | None:
        self.failures += 1
        self.total_failures += 1
        if self.online and self.failures >= self.limit:
            self.online = False
            return False
        return None
