"""Simulated waveforms: the physical quantity a sensor sees under ``--simulate`` (the demo board
and tests), over time. Pure and seeded: the same seed and times give the same values, so tests can
reason about them. (Named for what it holds: the agent's OS signals are in :mod:`agent`.)"""

from __future__ import annotations

import math
import random

from device_agent.schema import Simulation


class Waveform:
    """The value of one simulated quantity at a time ``t`` (seconds since the start).

    ``drift`` is a bounded random walk (a room temperature), ``sine`` a smooth daily-like cycle
    (light), ``square`` toggles every half period (a door), ``pulse`` is high for ``duty`` of each
    period (a PIR detecting someone passing). Digital signals report ``high`` or ``low``."""

    def __init__(self, spec: Simulation, seed: int = 0) -> None:
        self.spec = spec
        self.rng = random.Random(seed)
        self._walk = (spec.low + spec.high) / 2
        self._walk_t = 0.0

    def value(self, t: float) -> float:
        spec = self.spec
        span = spec.high - spec.low
        phase = (t % spec.period) / spec.period
        if spec.signal == "square":
            return spec.high if phase < 0.5 else spec.low
        if spec.signal == "pulse":
            return spec.high if phase < spec.duty else spec.low
        if spec.signal == "sine":
            base = spec.low + span * (0.5 - 0.5 * math.cos(2 * math.pi * phase))
        else:
            base = self._drift(t)
        if spec.noise:
            base += self.rng.gauss(0.0, spec.noise)
        return base

    def level(self, t: float) -> bool:
        """For digital pins: True when the signal is in its upper half."""
        return self.value(t) > (self.spec.low + self.spec.high) / 2

    def _drift(self, t: float) -> float:
        # A random walk whose step size makes it cross its range in about one period.
        spec = self.spec
        dt = max(0.0, t - self._walk_t)
        self._walk_t = t
        span = spec.high - spec.low
        step = self.rng.gauss(0.0, span * math.sqrt(dt / spec.period) / 2)
        self._walk = min(spec.high, max(spec.low, self._walk + step))
        return self._walk
