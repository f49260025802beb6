"""Outputs: relays (``OutputDevice``, active-low boards included), ``LED``, ``PWMLED``, ``Buzzer``.
Each starts in its configured safe state."""

from __future__ import annotations

from typing import Any

import gpiozero

from device_agent.config import ActuatorConfig


class Output:
    def __init__(self, config: ActuatorConfig, pin_factory: Any) -> None:
        self.config = config
        safe = config.safe_value
        common: dict[str, Any] = {"active_high": config.active_high, "pin_factory": pin_factory}
        if config.kind == "pwm_led":
            self.device: Any = gpiozero.PWMLED(
                config.pin, initial_value=float(safe), frequency=config.frequency, **common
            )
        elif config.kind == "led":
            self.device = gpiozero.LED(config.pin, initial_value=bool(safe), **common)
        elif config.kind == "buzzer":
            self.device = gpiozero.Buzzer(config.pin, initial_value=bool(safe), **common)
        else:
            self.device = gpiozero.OutputDevice(config.pin, initial_value=bool(safe), **common)

    @property
    def value(self) -> bool | float:
        raw = self.device.value
        return float(raw) if self.config.kind == "pwm_led" else bool(raw)

    def apply(self, value: bool | float) -> bool | float:
        """Drive the output to ``value`` and return the value it now has."""
        self.device.value = float(value) if self.config.kind == "pwm_led" else bool(value)
        return self.value

    def make_safe(self) -> bool | float:
        return self.apply(self.config.safe_value)

    def close(self) -> None:
        self.device.close()
