"""Sampled inputs through gpiozero: ``DistanceSensor``, ``LightSensor``, MCP3xxx ADC channels and
the Pi's internals (``CPUTemperature``, ``LoadAverage``, ``DiskUsage``). ``read()`` returns the raw
value (metres, 0..1, volts, °C, load, percent) and may block briefly: the agent calls it in a
worker thread, never on its loop."""

from __future__ import annotations

import math
from typing import Any, Protocol

import gpiozero

from device_agent.config import (
    AdcSensor,
    CpuTemperatureSensor,
    DiskUsageSensor,
    DistanceSensor,
    LightSensor,
    LoadAverageSensor,
)


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


def distance_sensor(config: DistanceSensor, pin_factory: Any) -> GpiozeroValue:
    device = gpiozero.DistanceSensor(
        echo=config.echo,
        trigger=config.trigger,
        max_distance=config.max_distance,
        partial=True,
        pin_factory=pin_factory,
    )
    return GpiozeroValue(device, "distance")


def light_sensor(config: LightSensor, pin_factory: Any, sample_wait: float) -> GpiozeroValue:
    device = gpiozero.LightSensor(
        config.pin,
        charge_time_limit=config.charge_time_limit,
        partial=True,
        pin_factory=pin_factory,
    )
    # gpiozero samples a LightSensor back to back (sample_wait=0), which keeps a core busy for a
    # value the agent reads once per interval; a few samples per interval are plenty.
    device._queue.sample_wait = sample_wait
    return GpiozeroValue(device, "value")


_ADC_CLASSES = {
    "mcp3001": gpiozero.MCP3001,
    "mcp3002": gpiozero.MCP3002,
    "mcp3004": gpiozero.MCP3004,
    "mcp3008": gpiozero.MCP3008,
    "mcp3201": gpiozero.MCP3201,
    "mcp3202": gpiozero.MCP3202,
    "mcp3204": gpiozero.MCP3204,
    "mcp3208": gpiozero.MCP3208,
}


def adc_channel(config: AdcSensor, pin_factory: Any) -> GpiozeroValue:
    cls = _ADC_CLASSES[config.chip]
    kwargs: dict[str, Any] = {
        "max_voltage": config.max_voltage,
        "port": config.spi_port,
        "device": config.spi_device,
        "pin_factory": pin_factory,
    }
    if config.chip not in ("mcp3001", "mcp3201"):  # single-channel chips take no channel
        kwargs["channel"] = config.channel
        kwargs["differential"] = config.differential
    return GpiozeroValue(cls(**kwargs), "voltage")


def cpu_temperature(_config: CpuTemperatureSensor) -> GpiozeroValue:
    return GpiozeroValue(gpiozero.CPUTemperature(), "temperature")


def load_average(config: LoadAverageSensor) -> GpiozeroValue:
    return GpiozeroValue(gpiozero.LoadAverage(minutes=config.minutes), "load_average")


def disk_usage(config: DiskUsageSensor) -> GpiozeroValue:
    return GpiozeroValue(gpiozero.DiskUsage(filesystem=str(config.filesystem)), "usage")
