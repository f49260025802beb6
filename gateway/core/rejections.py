"""Refused MQTT messages: counted by reason, logged with their topic, but never a flood of logs.

A broken or hostile publisher can send thousands of bad messages a second; every one is counted (the
metric is exact) while the log gets at most ``burst`` lines at once and then one line per
``interval`` seconds, each saying how many were left out since the last line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from pigw.contract import ContractError


class Rejections:
    def __init__(
        self,
        logger: logging.Logger,
        *,
        burst: int = 20,
        interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.counts: dict[str, int] = {}
        self._logger = logger
        self._burst = burst
        self._interval = interval
        self._clock = clock
        self._allowance = float(burst)
        self._last = clock()
        self._suppressed = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def reject(self, topic: str, error: ContractError) -> None:
        """Count ``error`` under its reason and log it (rate-limited) with ``topic``."""
        self.counts[error.reason] = self.counts.get(error.reason, 0) + 1
        now = self._clock()
        self._allowance = min(
            float(self._burst), self._allowance + (now - self._last) / self._interval
        )
        self._last = now
        if self._allowance < 1.0:
            self._suppressed += 1
            return
        self._allowance -= 1.0
        extra = {"topic": topic[:200], "reason": error.reason}
        if self._suppressed:
            extra["suppressed"] = str(self._suppressed)
            self._suppressed = 0
        self._logger.warning("refused MQTT message: %s", error.args[0], extra=extra)
