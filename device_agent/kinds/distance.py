"""``distance``: an HC-SR04 style ultrasonic sensor (gpiozero ``DistanceSensor``); raw metres."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from msgspec import Meta

from device_agent.kinds.base import Drive, SampledSensor, SensorKind, Wiring
from device_agent.schema import DeviceClass, Finite, Pin, Simulation, Unit, check_pin

if TYPE_CHECKING:
    from device_agent.hardware.analog import AnalogInput
    from device_agent.hardware.simulation import Simulator

SPEED_OF_SOUND = 343.26  # m/s, gpiozero's DistanceSensor constant


class DistanceSensor(SampledSensor, frozen=True, kw_only=True):
    kind: Literal["distance"]
    echo: Pin
    trigger: Pin
    max_distance: Annotated[float, Meta(gt=0, le=10)] = 2.0
    scale: Finite = 100.0
    unit: Unit | None = "cm"
    device_class: DeviceClass | None = "distance"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_pin("echo", self.echo)
        check_pin("trigger", self.trigger)

    def pins(self) -> list[tuple[str, int | str]]:
        return [("echo", self.echo), ("trigger", self.trigger)]

    def pin_label(self) -> int | str | None:
        return f"echo {self.echo} trigger {self.trigger}"


def open_input(config: DistanceSensor, wiring: Wiring) -> AnalogInput:
    import gpiozero  # noqa: PLC0415 - see kinds/__init__.py

    from device_agent.hardware.analog import (  # noqa: PLC0415
        SAMPLES_PER_INTERVAL,
        GpiozeroValue,
        pace_samples,
    )

    device = gpiozero.DistanceSensor(
        echo=config.echo,
        trigger=config.trigger,
        queue_len=SAMPLES_PER_INTERVAL,
        max_distance=config.max_distance,
        partial=True,
        pin_factory=wiring.pin_factory,
    )
    pace_samples(device, config.interval)
    return GpiozeroValue(device, "distance")


def simulate(config: DistanceSensor, simulator: Simulator, _id: str, _spec: Simulation) -> Drive:
    trigger = simulator.trigger_pin(config.trigger, echo=config.echo)

    def drive(metres: float) -> None:
        trigger.echo_time = max(0.0, metres) * 2 / SPEED_OF_SOUND

    return drive


KINDS: list[SensorKind[Any]] = [
    SensorKind(
        "distance",
        DistanceSensor,
        open_input,
        simulate=simulate,
        default_simulation=Simulation(signal="sine", period=40.0, low=0.3, high=1.5),
    )
]
