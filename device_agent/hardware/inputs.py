"""Digital inputs (buttons, door/reed contacts, line sensors, PIR modules) via gpiozero's
``DigitalInputDevice``: event-driven, the level is reported on every edge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gpiozero import DigitalInputDevice

LevelCallback = Callable[[bool], None]


class DigitalInput:
    """One pin. ``on_level`` is called with the new level on gpiozero's thread (or, with mock
    pins, on the thread that drove the pin): it must only hand the value over."""

    def __init__(self, pin: int | str, pull_up: bool, pin_factory: Any) -> None:
        # Debounce is the agent's (pure, tested) policy, so gpiozero reports every edge.
        self.device = DigitalInputDevice(pin, pull_up=pull_up, pin_factory=pin_factory)

    def watch(self, on_level: LevelCallback) -> None:
        self.device.when_activated = lambda: on_level(True)
        self.device.when_deactivated = lambda: on_level(False)

    def level(self) -> bool:
        return bool(self.device.is_active)

    def close(self) -> None:
        self.device.close()
