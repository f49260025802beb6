"""``--simulate``: gpiozero's mock pin factory, driven by simulated signals.

The agent runs exactly the same adapters as on a Pi; only the pins are mock pins whose inputs the
:class:`Simulator` moves: digital pins are driven high/low, the distance sensor's trigger pin gets
an echo time, the light sensor's charging pin a charge time, the ADC's mock SPI slave a voltage,
and DS18B20 files are written in a private sysfs-like folder. gpiozero's devices then read those
pins as they would read real ones (their own sampling threads included).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from gpiozero.pins.mock import (
    MockChargingPin,
    MockFactory,
    MockPin,
    MockPWMPin,
    MockSPIClockPin,
    MockSPIDevice,
    MockSPISelectPin,
    MockTriggerPin,
)

from device_agent.config import (
    AdcSensor,
    CpuTemperatureSensor,
    DigitalSensor,
    DistanceSensor,
    Ds18b20Sensor,
    LightSensor,
    SensorConfig,
    Simulation,
)
from device_agent.hardware.ds18b20 import format_w1_slave
from device_agent.signals import Signal

SPEED_OF_SOUND = 343.26  # m/s, gpiozero's DistanceSensor constant

# Mock pins that can be handed to any device: the PWM-capable mock pin plus the special behaviour.
# (MockFactory refuses to reuse a pin unless its PWM capability matches what is asked for.)


class _TriggerPin(MockTriggerPin, MockPWMPin):  # type: ignore[misc]
    pass


class _ChargingPin(MockChargingPin, MockPWMPin):  # type: ignore[misc]
    pass


class SimulatedFactory(MockFactory):  # type: ignore[misc]
    """``MockFactory(pin_class=MockPWMPin)`` whose pins can be created in advance with a special
    class (trigger, charging, SPI) and are then reused by whichever device asks for them."""

    def __init__(self) -> None:
        super().__init__(pin_class=MockPWMPin)

    def pin(self, name: Any, pin_class: Any = None, **kwargs: Any) -> Any:
        for _header, info in self.board_info.find_pin(name):
            existing = self.pins.get(info)
            if existing is not None:
                return existing
            pin = (pin_class or self.pin_class)(self, info, **kwargs)
            self.pins[info] = pin
            return pin
        return super().pin(name, pin_class, **kwargs)  # raises PinInvalidPin


class MockMcp3xxx(MockSPIDevice):  # type: ignore[misc]
    """The slave side of an MCP30xx/32xx ADC (single-ended reads): start bit, mode bit, three
    channel bits, then a null bit and the result, most significant bit first."""

    def __init__(self, factory: SimulatedFactory, bits: int, vref: float) -> None:
        # SPI0 CE0 on the Pi header: SCLK 11, MOSI 10, MISO 9, CE0 8. Bit-banged SPI needs
        # boolean pin states, so these are plain (not PWM) mock pins.
        factory.pin(11, pin_class=MockSPIClockPin)
        factory.pin(8, pin_class=MockSPISelectPin)
        factory.pin(10, pin_class=MockPin)
        factory.pin(9, pin_class=MockPin)
        super().__init__(11, 10, 9, 8, pin_factory=factory)
        self.bits = bits
        self.vref = vref
        self.channels = [0.0] * 8
        self.state = "idle"
        self.rx_buf: list[int] = []

    def on_start(self) -> None:
        super().on_start()
        self.state = "idle"

    def on_bit(self) -> None:
        if self.state == "idle":
            if self.rx_buf[-1]:
                self.state, self.rx_buf = "mode", []
        elif self.state == "mode":
            self.state, self.rx_buf = ("single" if self.rx_buf[-1] else "diff"), []
        elif self.state in ("single", "diff"):
            if len(self.rx_buf) == 3:
                volts = min(max(self.channels[self.rx_word()], 0.0), self.vref)
                self.tx_word(round(volts / self.vref * (2**self.bits - 1)), self.bits + 2)
                self.state = "result"
        elif self.state == "result" and not self.tx_buf:
            self.state, self.rx_buf = "idle", []


#: What a sensor without a ``simulate`` table does under ``--simulate`` (values in raw units).
DEFAULT_SIGNALS: dict[str, Simulation] = {
    "digital": Simulation(signal="square", period=20.0),
    "motion": Simulation(signal="pulse", period=15.0, duty=0.2),
    "distance": Simulation(signal="sine", period=40.0, low=0.3, high=1.5),
    "light": Simulation(signal="sine", period=120.0, low=0.1, high=0.9),
    "adc": Simulation(signal="sine", period=60.0, low=0.5, high=2.8),
}


class Simulator:
    """Moves the mock pins of a board to the values of their signals at time ``t``."""

    def __init__(self, factory: SimulatedFactory, seed: int = 0) -> None:
        self.factory = factory
        self.seed = seed
        self._drivers: list[tuple[Signal, Any]] = []
        self._adc: MockMcp3xxx | None = None
        self._w1_root: Path | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.values: dict[str, float] = {}  # simulated values read directly (cpu temperature)

    def prepare(self, sensor_id: str, config: SensorConfig) -> None:
        """Create the mock pins ``config`` needs, before its gpiozero device is built."""
        spec = config.simulate or DEFAULT_SIGNALS.get(config.kind)
        if spec is None:
            return
        signal = Signal(spec, seed=self.seed + len(self._drivers))
        if isinstance(config, DigitalSensor):
            pin = self.factory.pin(config.pin)
            self._drivers.append((signal, _EdgeDriver(pin, signal)))
        elif isinstance(config, DistanceSensor):
            echo = self.factory.pin(config.echo)
            trigger = self.factory.pin(config.trigger, pin_class=_TriggerPin, echo_pin=echo)
            self._drivers.append((signal, lambda v, t=trigger: _echo(t, v)))
        elif isinstance(config, LightSensor):
            pin = self.factory.pin(config.pin, pin_class=_ChargingPin)
            limit = config.charge_time_limit
            self._drivers.append((signal, lambda v, p=pin: _charge(p, v, limit)))
        elif isinstance(config, AdcSensor):
            adc = self._mcp(config)
            channel = config.channel
            self._drivers.append((signal, lambda v: adc.channels.__setitem__(channel, v)))
        elif isinstance(config, Ds18b20Sensor):
            folder = self.w1_root() / (config.address or "28-00000a1b2c3d")
            folder.mkdir(exist_ok=True)
            self._drivers.append((signal, lambda v, f=folder: _write_w1(f, v)))
        elif isinstance(config, CpuTemperatureSensor):
            self._drivers.append((signal, lambda v: self.values.__setitem__(sensor_id, v)))

    def _mcp(self, config: AdcSensor) -> MockMcp3xxx:
        if self._adc is None:
            bits = 12 if config.chip.startswith("mcp32") else 10
            self._adc = MockMcp3xxx(self.factory, bits, config.max_voltage)
        return self._adc

    def w1_root(self) -> Path:
        """The private folder that plays ``/sys/bus/w1/devices`` for simulated thermometers."""
        if self._w1_root is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="pigw-w1-")
            self._w1_root = Path(self._tmp.name)
        return self._w1_root

    def tick(self, t: float) -> None:
        """Move every simulated input to its value at ``t`` seconds."""
        for signal, drive in self._drivers:
            drive(signal.value(t))

    def close(self) -> None:
        if self._adc is not None:
            self._adc.close()
        if self._tmp is not None:
            self._tmp.cleanup()


class _EdgeDriver:
    """Drives a digital pin when its signal *changes* level, so a test may also drive the pin by
    hand between two changes of a slow signal without the simulator undoing it."""

    def __init__(self, pin: Any, signal: Signal) -> None:
        self.pin = pin
        self.middle = (signal.spec.low + signal.spec.high) / 2
        self.level: bool | None = None

    def __call__(self, value: float) -> None:
        level = value > self.middle
        if level == self.level:
            return
        self.level = level
        if level:
            self.pin.drive_high()
        else:
            self.pin.drive_low()


def _echo(trigger: Any, metres: float) -> None:
    trigger.echo_time = max(0.0, metres) * 2 / SPEED_OF_SOUND


def _charge(pin: Any, light: float, limit: float) -> None:
    pin.charge_time = (1.0 - min(max(light, 0.0), 1.0)) * limit


def _write_w1(folder: Path, celsius: float) -> None:
    tmp = folder / "w1_slave.tmp"
    tmp.write_text(format_w1_slave(celsius), encoding="ascii")
    tmp.replace(folder / "w1_slave")
