"""The Pi's own health, read through gpiozero's internal devices: ``cpu_temperature`` (°C),
``load_average`` and ``disk_usage`` (percent). Only the CPU temperature is simulated (with a
``simulate`` table): a laptop's is not a Pi's."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from msgspec import Meta

from device_agent.kinds.base import Drive, SampledSensor, SensorKind, Wiring
from device_agent.schema import DeviceClass, Seconds, Simulation, Unit

if TYPE_CHECKING:
    from device_agent.hardware.analog import AnalogInput
    from device_agent.hardware.simulation import Simulator


class CpuTemperatureSensor(SampledSensor, frozen=True, kw_only=True):
    kind: Literal["cpu_temperature"]
    interval: Seconds = 30.0
    deadband: Annotated[float, Meta(ge=0)] = 0.5
    unit: Unit | None = "°C"
    device_class: DeviceClass | None = "temperature"


class LoadAverageSensor(SampledSensor, frozen=True, kw_only=True):
    kind: Literal["load_average"]
    minutes: Literal[1, 5, 15] = 1
    interval: Seconds = 30.0
    deadband: Annotated[float, Meta(ge=0)] = 0.05


class DiskUsageSensor(SampledSensor, frozen=True, kw_only=True):
    kind: Literal["disk_usage"]
    filesystem: Path = Path("/")
    interval: Seconds = 300.0
    deadband: Annotated[float, Meta(ge=0)] = 0.5
    unit: Unit | None = "%"


def open_cpu_temperature(_config: CpuTemperatureSensor, wiring: Wiring) -> AnalogInput:
    from device_agent.hardware import analog  # noqa: PLC0415 - see kinds/__init__.py

    if wiring.simulator is not None:
        return analog.SimulatedValue(wiring.simulator.values, wiring.sensor_id)
    import gpiozero  # noqa: PLC0415

    return analog.GpiozeroValue(gpiozero.CPUTemperature(), "temperature")


def simulate_cpu_temperature(
    _config: CpuTemperatureSensor, simulator: Simulator, sensor_id: str, _spec: Simulation
) -> Drive:
    def drive(celsius: float) -> None:
        simulator.values[sensor_id] = celsius

    return drive


def open_load_average(config: LoadAverageSensor, _wiring: Wiring) -> AnalogInput:
    import gpiozero  # noqa: PLC0415 - see kinds/__init__.py

    from device_agent.hardware.analog import GpiozeroValue  # noqa: PLC0415

    return GpiozeroValue(gpiozero.LoadAverage(minutes=config.minutes), "load_average")


def open_disk_usage(config: DiskUsageSensor, _wiring: Wiring) -> AnalogInput:
    import gpiozero  # noqa: PLC0415 - see kinds/__init__.py

    from device_agent.hardware.analog import GpiozeroValue  # noqa: PLC0415

    return GpiozeroValue(gpiozero.DiskUsage(filesystem=str(config.filesystem)), "usage")


KINDS: list[SensorKind[Any]] = [
    SensorKind(
        "cpu_temperature",
        CpuTemperatureSensor,
        open_cpu_temperature,
        simulate=simulate_cpu_temperature,
    ),
    SensorKind("load_average", LoadAverageSensor, open_load_average),
    SensorKind("disk_usage", DiskUsageSensor, open_disk_usage),
]
