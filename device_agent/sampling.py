"""When a sensor publishes: deadband and heartbeat for sampled values, debounce for digital edges.

Pure: time is passed in (monotonic seconds), so the policies are tested without clocks or threads.
"""

from __future__ import annotations

from dataclasses import dataclass


class AnalogPolicy:
    """Publish a sample when it moved by *more than* ``deadband`` since the last published value,
    or when ``heartbeat`` seconds passed since the last publish (the first sample always)."""

    __slots__ = ("deadband", "heartbeat", "last_at", "last_value")

    def __init__(self, deadband: float, heartbeat: float) -> None:
        self.deadband = deadband
        self.heartbeat = heartbeat
        self.last_value: float | None = None
        self.last_at: float | None = None

    def should_publish(self, value: float, now: float) -> bool:
        """Decide for one sample; a ``True`` answer counts as published."""
        if (
            self.last_value is None
            or self.last_at is None
            or abs(value - self.last_value) > self.deadband
            or now - self.last_at >= self.heartbeat
        ):
            self.last_value, self.last_at = value, now
            return True
        return False


@dataclass(frozen=True, slots=True)
class EdgeDecision:
    """``publish``: publish the new level now. ``recheck_at``: call :meth:`Debouncer.settle` then
    (an edge inside the debounce window is held back, and the level it left is published then)."""

    publish: bool
    recheck_at: float | None = None


class Debouncer:
    """Digital edges: the first edge is published at once (latency matters for doors and buttons);
    further edges within ``window`` seconds of the last publish are held, and when the window ends
    the level is published if it differs from the last published one (trailing edge kept)."""

    __slots__ = ("heartbeat", "last_at", "last_level", "level", "pending", "window")

    def __init__(self, window: float, heartbeat: float) -> None:
        self.window = window
        self.heartbeat = heartbeat
        self.level: bool | None = None  # the pin's current level as last reported
        self.last_level: bool | None = None  # the level last published
        self.last_at: float | None = None
        self.pending = False  # a settle call is scheduled

    def edge(self, level: bool, now: float) -> EdgeDecision:
        """The pin reported ``level`` at ``now``."""
        self.level = level
        if level == self.last_level and not self.pending:
            return EdgeDecision(False)  # a repeated report of the published level
        if self.last_at is None or now - self.last_at >= self.window:
            if level == self.last_level:
                return EdgeDecision(False)
            self._published(level, now)
            return EdgeDecision(True)
        if self.pending:
            return EdgeDecision(False)
        self.pending = True
        return EdgeDecision(False, self.last_at + self.window)

    def settle(self, now: float) -> bool:
        """The debounce window ended: True when the held level must be published now."""
        self.pending = False
        if self.level is None or self.level == self.last_level:
            return False
        self._published(self.level, now)
        return True

    def heartbeat_due(self, now: float) -> bool:
        """True when the level should be published again because ``heartbeat`` passed."""
        if self.level is None or self.last_at is None or self.pending:
            return False
        if now - self.last_at >= self.heartbeat:
            self._published(self.level, now)
            return True
        return False

    def _published(self, level: bool, now: float) -> None:
        self.last_level, self.last_at = level, now
