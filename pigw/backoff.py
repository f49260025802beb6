"""Reconnect delays, shared by the agent and the gateway: exponential backoff with "equal jitter"
(each delay uniform in [base/2, base], base = min(maximum, minimum x 2^attempt)). Pure.

Jitter matters when a broker restarts with many clients connected: without it they all come back
in the same instant, every time (paho's own ``reconnect_delay_set`` has none)."""

from __future__ import annotations

import random


class Backoff:
    """Delay before attempt n: uniform in [base/2, base] where base = min(maximum, minimum x 2^n)."""

    __slots__ = ("attempt", "maximum", "minimum", "rng")

    def __init__(
        self, minimum: float = 0.5, maximum: float = 30.0, rng: random.Random | None = None
    ) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.attempt = 0
        self.rng = rng or random.Random()

    def next_delay(self) -> float:
        base = min(self.maximum, self.minimum * 2 ** min(self.attempt, 32))
        self.attempt += 1
        return self.rng.uniform(base / 2, base)

    def reset(self) -> None:
        """A connection succeeded (or lasted long enough): start again from ``minimum``."""
        self.attempt = 0
