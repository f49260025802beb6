"""Sampled inputs: the :class:`AnalogInput` protocol the agent reads, and the adapter for any
gpiozero device whose reading is an attribute. Each kind (:mod:`device_agent.kinds`) builds its
gpiozero device; ``read()`` returns the raw value (metres, 0..1, volts, °C, load, percent) and may
block briefly: the agent calls it in a worker thread, never on its loop."""

from __future__ import annotations

import math
from typing import Any, Protocol


class ReadError(RuntimeError):
    """A sensor could not be read this time (counted towards its availability)."""


class AnalogInput(Protocol):
    def read(self) -> float: ...

    def close(self) -> None: ...


class GpiozeroValue:
    """Any gpiozero device whose reading is an attribute (``distance``, ``value``, ...)."""

    def __init__(self, device: Any, attribute: str, factor: float = 1.0) -> None:
        self.device = device
        self.attribute = attribute
        self.factor = factor

    def read(self) -> float:
        try:
            raw = getattr(self.device, self.attribute)
        except Exception as exc:  # hardware errors of every kind mean "no reading"
            raise ReadError(f"{type(self.device).__name__}: {exc}") from exc
        if raw is None or not math.isfinite(float(raw)):
            raise ReadError(f"{type(self.device).__name__} returned {raw!r}")
        return float(raw) * self.factor

    def close(self) -> None:
        self.device.close()


#: Samples a smoothed gpiozero sensor takes per reading interval (its queue holds as many).
SAMPLES_PER_INTERVAL = 5


def pace_samples(device: Any, interval: float) -> None:
    """Let a smoothed gpiozero sensor (``LightSensor``, ``DistanceSensor``) sample a few times per
    reading interval instead of back to back (light) or at 16 Hz (distance): the agent reads its
    median once per ``interval``, and each sample costs a thread wake-up and, for an HC-SR04, a
    trigger pulse and two echo edges. Its queue covers one interval of samples (issue 18: the
    distance sensor alone was half the demo board's idle CPU). gpiozero takes the pace only as a
    constructor constant, so the queue's ``sample_wait`` is set here."""
    device._queue.sample_wait = min(0.5, interval / SAMPLES_PER_INTERVAL)


class SimulatedValue:
    """A value the simulator sets directly (the CPU temperature of a laptop is not a Pi's)."""

    def __init__(self, values: dict[str, float], sensor_id: str) -> None:
        self.values = values
        self.sensor_id = sensor_id

    def read(self) -> float:
        try:
            return self.values[self.sensor_id]
        except KeyError as exc:
            raise ReadError("no simulated value yet") from exc

    def close(self) -> None:
        """Nothing to release."""
