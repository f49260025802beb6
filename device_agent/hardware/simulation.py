"""``--simulate``: gpiozero's mock pin factory, driven by simulated waveforms.

The agent runs exactly the same adapters as on a Pi; only the pins are mock pins whose inputs the
:class:`Simulator` moves. Each sensor kind (:mod:`device_agent.kinds`) says how: digital pins are
driven high/low, the distance sensor's trigger pin gets an echo time, the light sensor's charging
pin a charge time, the ADC's mock SPI slave a voltage, and DS18B20 files are written in a private
sysfs-like folder. gpiozero's devices then read those pins as they would read real ones (their own
sampling threads included). This module holds the mock parts those kinds use.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import threading
import time
from collections.abc import Callable
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

from device_agent.kinds import SensorConfig, sensor_kind
from device_agent.kinds.base import Drive
from device_agent.schema import Simulation
from device_agent.waveforms import Waveform

# Mock pins that can be handed to any device: the PWM-capable mock pin plus the special behaviour.
# (MockFactory refuses to reuse a pin unless its PWM capability matches what is asked for.)


# gpiozero's trigger and charging mock pins start a thread for every echo and every charge: one
# per sample, five per second for the demo board's distance sensor, which was a fifth of the
# simulated board's idle CPU (issue 18; a Pi's real pins need no such thread). These two answer from
# one long-lived thread per pin, with the same timing.


class _PinWorker:
    """One daemon thread that runs ``action`` at the deadline :meth:`schedule` sets (``None``:
    nothing to do). The action runs under the lock, so a :meth:`schedule` that cancels it waits
    for one already running, as gpiozero's ``join()`` did."""

    def __init__(self, action: Callable[[], None], name: str) -> None:
        self._action = action
        self._wake = threading.Condition(threading.RLock())
        self._due: float | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def schedule(self, delay: float | None) -> None:
        with self._wake:
            self._due = None if delay is None else time.monotonic() + delay
            self._wake.notify()

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while not self._closed:
                if self._due is None:
                    self._wake.wait()
                    continue
                left = self._due - time.monotonic()
                if left > 0:
                    self._wake.wait(left)
                    continue
                self._due = None
                self._action()


class _TriggerPin(MockTriggerPin, MockPWMPin):  # type: ignore[misc]
    """A trigger pulse makes the echo pin go high after 1 ms for ``echo_time`` (as gpiozero's)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._echo_worker = _PinWorker(self._echo_edges, f"echo-{self.info.name}")
        self._echo_rising = True

    def _set_state(self, value: bool) -> None:
        super(MockTriggerPin, self)._set_state(value)  # not MockTriggerPin's thread per pulse
        if value:
            self._echo_rising = True
            self._echo_worker.schedule(0.001)

    def _echo_edges(self) -> None:
        if self._echo_rising:
            self.echo_pin.drive_high()
            self._echo_rising = False
            self._echo_worker.schedule(self.echo_time)
        else:
            self.echo_pin.drive_low()

    def close(self) -> None:
        self._echo_worker.close()
        super().close()


class _ChargingPin(MockChargingPin, MockPWMPin):  # type: ignore[misc]
    """Set to input, the pin drives itself high after ``charge_time`` (as gpiozero's)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._charge_worker = _PinWorker(self._charged, f"charge-{self.info.name}")

    def _set_function(self, value: str) -> None:
        super(MockChargingPin, self)._set_function(value)  # not MockChargingPin's thread per charge
        self._charge_worker.schedule(self.charge_time if value == "input" else None)

    def _charged(self) -> None:
        with contextlib.suppress(AssertionError):  # switched to output meanwhile (as gpiozero's)
            self.drive_high()

    def close(self) -> None:
        self._charge_worker.close()
        super().close()


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


class Simulator:
    """Moves the mock pins of a board to the values of their waveforms at time ``t``."""

    def __init__(self, factory: SimulatedFactory, seed: int = 0) -> None:
        self.factory = factory
        self.seed = seed
        self._drivers: list[tuple[Waveform, Drive]] = []
        self._adc: MockMcp3xxx | None = None
        self._w1_root: Path | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.values: dict[str, float] = {}  # simulated values read directly (cpu temperature)

    @staticmethod
    def drives(config: SensorConfig) -> bool:
        """Whether ``--simulate`` moves this sensor (its own table, or its kind's default)."""
        kind = sensor_kind(config)
        return (
            kind.simulate is not None and (config.simulate or kind.default_simulation) is not None
        )

    def prepare(self, sensor_id: str, config: SensorConfig) -> None:
        """Create the mock pins ``config`` needs, before its gpiozero device is built."""
        kind = sensor_kind(config)
        spec = config.simulate or kind.default_simulation
        if spec is None or kind.simulate is None:
            return
        waveform = Waveform(spec, seed=self.seed + len(self._drivers))
        self._drivers.append((waveform, kind.simulate(config, self, sensor_id, spec)))

    # --- mock parts for the kinds ----------------------------------------------------------
    def edge_driver(self, pin: Any, spec: Simulation) -> Drive:
        """Drives a digital pin high in the upper half of the waveform's range, low below."""
        return _EdgeDriver(pin, spec)

    def trigger_pin(self, trigger: int | str, echo: int | str) -> Any:
        """A distance sensor's trigger pin that answers on ``echo`` after its ``echo_time``."""
        return self.factory.pin(trigger, pin_class=_TriggerPin, echo_pin=self.factory.pin(echo))

    def charging_pin(self, pin: int | str) -> Any:
        """A light sensor's pin whose capacitor charges in its ``charge_time``."""
        return self.factory.pin(pin, pin_class=_ChargingPin)

    def adc(self, bits: int, vref: float) -> MockMcp3xxx:
        """The one mock MCP3xxx on SPI0 (its ``channels`` hold volts), shared by all channels."""
        if self._adc is None:
            self._adc = MockMcp3xxx(self.factory, bits, vref)
        return self._adc

    def w1_root(self) -> Path:
        """The private folder that plays ``/sys/bus/w1/devices`` for simulated thermometers."""
        if self._w1_root is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="pigw-w1-")
            self._w1_root = Path(self._tmp.name)
        return self._w1_root

    def tick(self, t: float) -> None:
        """Move every simulated input to its value at ``t`` seconds."""
        for waveform, drive in self._drivers:
            drive(waveform.value(t))

    async def run(self) -> None:
        """Moves the simulated world in small steps, for the agent's lifetime (from ``t`` = 0:
        call :meth:`tick` with 0 before the sensors' first reads)."""
        loop = asyncio.get_running_loop()
        periods = [waveform.spec.period for waveform, _ in self._drivers]
        step = min(0.5, max(0.02, min(periods, default=5.0) / 20))
        start = loop.time()
        while True:
            await asyncio.sleep(step)  # poll: the simulated world moves in small steps
            self.tick(loop.time() - start)

    def close(self) -> None:
        if self._adc is not None:
            self._adc.close()
        if self._tmp is not None:
            self._tmp.cleanup()


class _EdgeDriver:
    """Drives a digital pin when its waveform *changes* level, so a test may also drive the pin by
    hand between two changes of a slow waveform without the simulator undoing it."""

    def __init__(self, pin: Any, spec: Simulation) -> None:
        self.pin = pin
        self.middle = (spec.low + spec.high) / 2
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
