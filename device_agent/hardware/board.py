"""Builds every adapter of a board from its config, on real pins or on the simulated factory."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

from gpiozero import Device
from gpiozero.exc import GPIOZeroWarning

from device_agent.config import BoardConfig
from device_agent.hardware.analog import AnalogInput
from device_agent.hardware.inputs import DigitalInput
from device_agent.hardware.outputs import Output
from device_agent.hardware.simulation import SimulatedFactory, Simulator
from device_agent.kinds import Wiring, sensor_kind

log = logging.getLogger(__name__)


class HardwareError(RuntimeError):
    """A device could not be set up (pin busy, no SPI, no permission...)."""


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
            simulator = board.simulator if Simulator.drives(sensor) else None
            device = sensor_kind(sensor).open(sensor, Wiring(sensor_id, factory, simulator))
            if isinstance(device, DigitalInput):
                board.digital[sensor_id] = device
            else:
                board.analog[sensor_id] = device
    except Exception as exc:  # gpiozero raises many types; all mean "cannot start"
        board.close()
        raise HardwareError(f"cannot set up the board: {type(exc).__name__}: {exc}") from exc
    return board
