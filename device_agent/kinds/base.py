"""What every sensor kind provides, and the two families kinds belong to. Pure.

A kind is one :class:`SensorKind` entry: its config table (a msgspec struct, see
:class:`~device_agent.schema.Strict`, whose ``kind`` is a ``Literal``), how it opens its hardware, how ``--simulate`` moves its pins, and what it says to Home
Assistant (its family's entity, see :mod:`device_agent.ha_entities`). The families:

* :class:`EdgeSensor`: a digital pin, published on every debounced edge (``binary_sensor``);
* :class:`SampledSensor`: a value read every ``interval``, published past a deadband (``sensor``).

Hardware and simulation types are imported for type checking only: validating a board (``pigw-agent
check``, tests, the gateway's host) never loads gpiozero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

from msgspec import Meta

from device_agent import ha_entities
from device_agent.schema import (
    DeviceClass,
    Finite,
    Pin,
    Seconds,
    Simulation,
    Strict,
    Text,
    Unit,
    check_pin,
)

if TYPE_CHECKING:
    from device_agent.hardware.analog import AnalogInput
    from device_agent.hardware.inputs import DigitalInput
    from device_agent.hardware.simulation import Simulator


class SensorBase(Strict, frozen=True, kw_only=True):
    """The keys every sensor table has."""

    kind: str
    name: Text | None = None
    unit: Unit | None = None
    device_class: DeviceClass | None = None
    #: seconds without a publish after which the current value is published again
    heartbeat: Seconds = 300.0
    #: consecutive failed reads that mark the sensor ``offline`` (and one good read brings it back)
    failures_before_offline: Annotated[int, Meta(ge=1, le=1000)] = 3
    simulate: Simulation | None = None

    def pins(self) -> list[tuple[str, int | str]]:
        """``(key, pin)`` for each GPIO pin this sensor takes alone (the duplicate check)."""
        return []

    def shared_pins(self) -> list[tuple[int, str]]:
        """BCM pins this sensor shares with others of its bus (SPI), with a label for errors."""
        return []

    def pin_label(self) -> int | str | None:
        """Where the sensor is wired, as the meta's ``pin`` shows it."""
        return None

    def discovery_entity(self, sensor_id: str) -> dict[str, Any]:
        """The platform-specific part of this sensor's Home Assistant component."""
        raise NotImplementedError


class EdgeSensor(SensorBase, frozen=True, kw_only=True):
    """A digital input: published on every (debounced) edge."""

    pin: Pin
    #: seconds an edge must settle before the next one is published (trailing edge kept)
    debounce: Annotated[float, Meta(ge=0, le=10)] = 0.05

    def __post_init__(self) -> None:
        super().__post_init__()
        check_pin("pin", self.pin)

    def pins(self) -> list[tuple[str, int | str]]:
        return [("pin", self.pin)]

    def pin_label(self) -> int | str | None:
        return self.pin

    def ha_device_class(self) -> str | None:
        """The device class Home Assistant shows (a kind may default one)."""
        return self.device_class

    def discovery_entity(self, sensor_id: str) -> dict[str, Any]:
        return ha_entities.binary_sensor(self.ha_device_class(), self.heartbeat)


class SampledSensor(SensorBase, frozen=True, kw_only=True):
    """A value read every ``interval`` (a blocking read, in a worker thread)."""

    #: seconds between samples
    interval: Seconds = 5.0
    #: publish only when the value moved by more than this since the last publish
    deadband: Annotated[float, Meta(ge=0)] = 0.0
    #: published value = raw x scale + offset, rounded to ``decimals``
    scale: Finite = 1.0
    offset: Finite = 0.0
    decimals: Annotated[int, Meta(ge=0, le=6)] = 2

    def discovery_entity(self, sensor_id: str) -> dict[str, Any]:
        return ha_entities.sensor(self.unit, self.device_class, self.heartbeat, self.interval)


@dataclass(frozen=True, slots=True)
class Wiring:
    """What a kind's ``open`` gets besides its config: gpiozero's pin factory (``None``: the
    default one of the Pi) and, when ``--simulate`` drives this sensor, the simulator."""

    sensor_id: str
    pin_factory: Any
    simulator: Simulator | None


#: Moves a simulated input to a value of its waveform (raw units: metres, volts, °C, 0..1, level).
Drive = Callable[[float], None]

C = TypeVar("C", bound=SensorBase)


@dataclass(frozen=True, slots=True)
class SensorKind(Generic[C]):
    """One sensor kind: everything the agent needs to know about it, in one place."""

    #: the ``kind = "…"`` of its config table (the meta's ``kind``)
    name: str
    #: its config table
    config: type[C]
    #: the adapter on real or mock pins (a :class:`DigitalInput` for an :class:`EdgeSensor`)
    open: Callable[[C, Wiring], DigitalInput | AnalogInput]
    #: under ``--simulate``: ``(config, simulator, sensor id, waveform)`` prepares the mock pins and
    #: returns what moves them (``None``: the kind is never simulated)
    simulate: Callable[[C, Simulator, str, Simulation], Drive] | None = None
    #: the waveform of a sensor without a ``simulate`` table (``None``: such a sensor is not moved)
    default_simulation: Simulation | None = None
