"""``ds18b20``: a 1-Wire thermometer read from sysfs (``w1-gpio`` overlay); raw °C. The reader is
:mod:`device_agent.hardware.ds18b20`; the simulator writes its files in a private folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from msgspec import Meta

from device_agent.kinds.base import Drive, SampledSensor, SensorKind, Wiring
from device_agent.schema import DeviceClass, Seconds, Simulation, Unit

if TYPE_CHECKING:
    from device_agent.hardware.analog import AnalogInput
    from device_agent.hardware.simulation import Simulator

#: the folder name of the simulated thermometer when the config gives no address
SIMULATED_ADDRESS = "28-00000a1b2c3d"


class Ds18b20Sensor(SampledSensor, frozen=True, kw_only=True):
    kind: Literal["ds18b20"]
    #: the sensor's 1-Wire id (``28-...``); omitted = the only ``28-*`` device present
    address: Annotated[str, Meta(pattern=r"^[0-9a-f]{2}-[0-9a-f]{12}$")] | None = None
    w1_devices: Path = Path("/sys/bus/w1/devices")
    interval: Seconds = 10.0
    deadband: Annotated[float, Meta(ge=0)] = 0.1
    unit: Unit | None = "°C"
    device_class: DeviceClass | None = "temperature"


def open_input(config: Ds18b20Sensor, wiring: Wiring) -> AnalogInput:
    from device_agent.hardware.ds18b20 import Ds18b20  # noqa: PLC0415 - see kinds/__init__.py

    root = wiring.simulator.w1_root() if wiring.simulator is not None else config.w1_devices
    return Ds18b20(root, config.address)


def simulate(config: Ds18b20Sensor, simulator: Simulator, _id: str, _spec: Simulation) -> Drive:
    from device_agent.hardware.ds18b20 import format_w1_slave  # noqa: PLC0415

    folder = simulator.w1_root() / (config.address or SIMULATED_ADDRESS)
    folder.mkdir(exist_ok=True)

    def drive(celsius: float) -> None:
        tmp = folder / "w1_slave.tmp"
        tmp.write_text(format_w1_slave(celsius), encoding="ascii")
        tmp.replace(folder / "w1_slave")

    return drive


#: Simulated only with a ``simulate`` table: without one, the sensor reads the real sysfs folder.
KINDS: list[SensorKind[Any]] = [SensorKind("ds18b20", Ds18b20Sensor, open_input, simulate=simulate)]
