"""``digital`` (buttons, reed/door contacts, line sensors) and ``motion`` (PIR modules): one GPIO
pin through gpiozero's ``DigitalInputDevice``, published on every debounced edge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from device_agent.kinds.base import Drive, EdgeSensor, SensorKind, Wiring
from device_agent.schema import Simulation

if TYPE_CHECKING:
    from device_agent.hardware.inputs import DigitalInput
    from device_agent.hardware.simulation import Simulator


class DigitalSensor(EdgeSensor, frozen=True, kw_only=True):
    """A contact or a PIR module on one pin."""

    kind: Literal["digital", "motion"]
    #: use the Pi's internal pull-up (contacts to ground); ``false`` for PIR modules that drive high
    pull_up: bool | None = None

    def uses_pull_up(self) -> bool:
        """Contacts pull up by default; PIR modules drive their pin themselves."""
        return self.pull_up if self.pull_up is not None else self.kind == "digital"

    def ha_device_class(self) -> str | None:
        return self.device_class or ("motion" if self.kind == "motion" else None)


def open_input(config: DigitalSensor, wiring: Wiring) -> DigitalInput:
    from device_agent.hardware.inputs import DigitalInput  # noqa: PLC0415 - see kinds/__init__.py

    return DigitalInput(config.pin, config.uses_pull_up(), wiring.pin_factory)


def simulate(config: DigitalSensor, simulator: Simulator, _id: str, spec: Simulation) -> Drive:
    return simulator.edge_driver(simulator.factory.pin(config.pin), spec)


KINDS: list[SensorKind[Any]] = [
    SensorKind(
        "digital",
        DigitalSensor,
        open_input,
        simulate=simulate,
        default_simulation=Simulation(signal="square", period=20.0),
    ),
    SensorKind(
        "motion",
        DigitalSensor,
        open_input,
        simulate=simulate,
        default_simulation=Simulation(signal="pulse", period=15.0, duty=0.2),
    ),
]
