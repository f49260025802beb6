"""Builds every adapter of a board from its config, on real pins or on the simulated factory."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

from gpiozero import Device
from gpiozero.exc import GPIOZeroWarning

from device_agent.config import (
    AdcSensor,
    BoardConfig,
    CpuTemperatureSensor,
    DigitalSensor,
    DiskUsageSensor,
    DistanceSensor,
    Ds18b20Sensor,
    LightSensor,
    LoadAverageSensor,
)
from device_agent.hardware import analog
from device_agent.hardware.analog import AnalogInput, ReadError
from device_agent.hardware.ds18b20 import Ds18b20
from device_agent.hardware.inputs import DigitalInput
from device_agent.hardware.outputs import Output
from device_agent.hardware.simulation import SimulatedFactory, Simulator

log = logging.getLogger(__name__)


class HardwareError(RuntimeError):
    """A device could not be set up (pin busy, no SPI, no permission...)."""


class _SimulatedValue:
    """A value the simulator sets directly (the CPU temperature of a laptop is not a Pi's)."""

    def __init__(self, simulator: Simulator, sensor_id: str) -> None:
        self.simulator = simulator
        self.sensor_id = sensor_id

    def read(self) -> float:
        try:
            return self.simulator.values[self.sensor_id]
        except KeyError as exc:
            raise ReadError("no simulated value yet") from exc

    def close(self) -> None:
        """Nothing to release."""


@dataclass
class Board:
    digital: dict[str, DigitalInput] = field(default_factory=dict)
    analog: dict[str, AnalogInput] = field(default_factory=dict)
    outputs: dict[str, Output] = field(default_factory=dict)
    simulator: Simulator | None = None

    def close(self) -> None:
        """Outputs to their safe state first, then release every pin."""
        for output in self.outputs.values():
            output.make_safe()
        closers: list[DigitalInput | AnalogInput | Output] = [
            *self.digital.values(),
            *self.analog.values(),
            *self.outputs.values(),
        ]
        for device in closers:
            device.close()
        if self.simulator is not None:
            self.simulator.close()


def build_board(config: BoardConfig, simulate: bool, seed: int = 0) -> Board:
    """All sensors and outputs of ``config``; outputs start in their safe state. gpiozero's
    warnings about fallbacks (no pigpio, software SPI, ...) are logged, not raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GPIOZeroWarning)
        board = _build(config, simulate, seed)
    for warning in caught:
        log.info("gpiozero: %s", warning.message)
    return board


def _build(config: BoardConfig, simulate: bool, seed: int) -> Board:
    factory: Any = None  # gpiozero's default factory: lgpio on a Pi 5, RPi.GPIO/native before
    if simulate:
        factory = SimulatedFactory()
        # Software SPI (the ADC under simulation) asks gpiozero's global factory for its pins.
        Device.pin_factory = factory
    board = Board(simulator=Simulator(factory, seed) if simulate else None)
    try:
        if board.simulator is not None:
            for sensor_id, sensor in config.sensors.items():
                board.simulator.prepare(sensor_id, sensor)
        for actuator_id, actuator in config.actuators.items():
            board.outputs[actuator_id] = Output(actuator, factory)
        for sensor_id, sensor in config.sensors.items():
            if isinstance(sensor, DigitalSensor):
                board.digital[sensor_id] = DigitalInput(sensor, factory)
            else:
                board.analog[sensor_id] = _analog(sensor_id, sensor, factory, board.simulator)
    except Exception as exc:  # gpiozero raises many types; all mean "cannot start"
        board.close()
        raise HardwareError(f"cannot set up the board: {type(exc).__name__}: {exc}") from exc
    return board


def _analog(sensor_id: str, sensor: Any, factory: Any, simulator: Simulator | None) -> AnalogInput:
    if isinstance(sensor, Ds18b20Sensor):
        simulated = simulator is not None and sensor.simulate is not None
        return Ds18b20(sensor, simulator.w1_root() if simulated and simulator else None)
    if isinstance(sensor, CpuTemperatureSensor) and simulator and sensor.simulate is not None:
        return _SimulatedValue(simulator, sensor_id)
    if isinstance(sensor, LightSensor):
        return analog.light_sensor(sensor, factory, sample_wait=min(0.5, sensor.interval / 5))
    builders: dict[type, Any] = {
        DistanceSensor: lambda: analog.distance_sensor(sensor, factory),
        AdcSensor: lambda: analog.adc_channel(sensor, factory),
        CpuTemperatureSensor: lambda: analog.cpu_temperature(sensor),
        LoadAverageSensor: lambda: analog.load_average(sensor),
        DiskUsageSensor: lambda: analog.disk_usage(sensor),
    }
    build = builders.get(type(sensor))
    if build is None:
        raise HardwareError(f"unknown sensor kind {sensor.kind!r}")
    return build()  # type: ignore[no-any-return]
