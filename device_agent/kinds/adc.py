"""``adc``: one channel of an MCP3xxx SPI ADC (gpiozero ``MCP3008`` and kin); raw volts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from msgspec import Meta

from device_agent.kinds.base import Drive, SampledSensor, SensorKind, Wiring
from device_agent.schema import DeviceClass, Simulation, Unit, field_error

if TYPE_CHECKING:
    from device_agent.hardware.analog import AnalogInput
    from device_agent.hardware.simulation import Simulator

#: The BCM pins of the Pi's hardware SPI buses, which an MCP3xxx ADC takes: MISO, MOSI, SCLK, and
#: the chip-select line of its ``spi_device``. (1-Wire's pin is set in config.txt, not here.)
SPI_PINS: dict[int, dict[str, tuple[int, ...]]] = {
    0: {"bus": (9, 10, 11), "ce": (8, 7)},
    1: {"bus": (19, 20, 21), "ce": (18, 17, 16)},
}

Chip = Literal["mcp3001", "mcp3002", "mcp3004", "mcp3008", "mcp3201", "mcp3202", "mcp3204", "mcp3208"]  # fmt: skip


class AdcSensor(SampledSensor, frozen=True, kw_only=True):
    kind: Literal["adc"]
    chip: Chip = "mcp3008"
    channel: Annotated[int, Meta(ge=0, le=7)] = 0
    differential: bool = False
    max_voltage: Annotated[float, Meta(gt=0, le=5.5)] = 3.3
    spi_port: Annotated[int, Meta(ge=0, le=1)] = 0
    spi_device: Annotated[int, Meta(ge=0, le=2)] = 0
    unit: Unit | None = "V"
    device_class: DeviceClass | None = "voltage"

    def __post_init__(self) -> None:
        super().__post_init__()
        channels = {"1": 1, "2": 2, "4": 4, "8": 8}[self.chip[-1]]
        if self.channel >= channels:
            raise field_error(
                "channel", f"{self.chip} has no channel {self.channel} (0-{channels - 1})"
            )
        if self.spi_device >= len(SPI_PINS[self.spi_port]["ce"]):
            raise field_error(
                "spi_device", f"SPI{self.spi_port} has no spi_device {self.spi_device}"
            )

    def shared_pins(self) -> list[tuple[int, str]]:
        # ADCs on one bus share its pins with each other; nothing else may take them.
        bus = SPI_PINS[self.spi_port]
        return [(pin, f"SPI{self.spi_port}") for pin in (*bus["bus"], bus["ce"][self.spi_device])]

    def pin_label(self) -> int | str | None:
        return f"spi{self.spi_port}.{self.spi_device} ch{self.channel}"


def open_input(config: AdcSensor, wiring: Wiring) -> AnalogInput:
    import gpiozero  # noqa: PLC0415 - see kinds/__init__.py

    from device_agent.hardware.analog import GpiozeroValue  # noqa: PLC0415

    kwargs: dict[str, Any] = {
        "max_voltage": config.max_voltage,
        "port": config.spi_port,
        "device": config.spi_device,
        "pin_factory": wiring.pin_factory,
    }
    if config.chip not in ("mcp3001", "mcp3201"):  # single-channel chips take no channel
        kwargs["channel"] = config.channel
        kwargs["differential"] = config.differential
    chip = getattr(gpiozero, config.chip.upper())
    return GpiozeroValue(chip(**kwargs), "voltage")


def simulate(config: AdcSensor, simulator: Simulator, _id: str, _spec: Simulation) -> Drive:
    bits = 12 if config.chip.startswith("mcp32") else 10
    adc = simulator.adc(bits, config.max_voltage)
    channel = config.channel

    def drive(volts: float) -> None:
        adc.channels[channel] = volts

    return drive


KINDS: list[SensorKind[Any]] = [
    SensorKind(
        "adc",
        AdcSensor,
        open_input,
        simulate=simulate,
        default_simulation=Simulation(signal="sine", period=60.0, low=0.5, high=2.8),
    )
]
