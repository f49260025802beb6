"""``light``: an LDR and a capacitor (gpiozero ``LightSensor``); raw 0 (dark) .. 1 (bright)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from msgspec import Meta

from device_agent.kinds.base import Drive, SampledSensor, SensorKind, Wiring
from device_agent.schema import Finite, Pin, Simulation, Unit, check_pin

if TYPE_CHECKING:
    from device_agent.hardware.analog import AnalogInput
    from device_agent.hardware.simulation import Simulator


class LightSensor(SampledSensor, frozen=True, kw_only=True):
    kind: Literal["light"]
    pin: Pin
    scale: Finite = 100.0
    unit: Unit | None = "%"
    charge_time_limit: Annotated[float, Meta(gt=0, le=1)] = 0.01

    def __post_init__(self) -> None:
        super().__post_init__()
        check_pin("pin", self.pin)

    def pins(self) -> list[tuple[str, int | str]]:
        return [("pin", self.pin)]

    def pin_label(self) -> int | str | None:
        return self.pin


def open_input(config: LightSensor, wiring: Wiring) -> AnalogInput:
    import gpiozero  # noqa: PLC0415 - see kinds/__init__.py

    from device_agent.hardware.analog import (  # noqa: PLC0415
        SAMPLES_PER_INTERVAL,
        GpiozeroValue,
        pace_samples,
    )

    device = gpiozero.LightSensor(
        config.pin,
        queue_len=SAMPLES_PER_INTERVAL,
        charge_time_limit=config.charge_time_limit,
        partial=True,
        pin_factory=wiring.pin_factory,
    )
    pace_samples(device, config.interval)
    return GpiozeroValue(device, "value")


def simulate(config: LightSensor, simulator: Simulator, _id: str, _spec: Simulation) -> Drive:
    pin = simulator.charging_pin(config.pin)
    limit = config.charge_time_limit

    def drive(light: float) -> None:
        pin.charge_time = (1.0 - min(max(light, 0.0), 1.0)) * limit

    return drive


KINDS: list[SensorKind[Any]] = [
    SensorKind(
        "light",
        LightSensor,
        open_input,
        simulate=simulate,
        default_simulation=Simulation(signal="sine", period=120.0, low=0.1, high=0.9),
    )
]
