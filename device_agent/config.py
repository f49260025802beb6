"""The board description: a TOML file validated by pydantic (docs/agent.md, "Config reference").

Pure: no gpiozero, no paho. A bad key, pin or id stops start-up with :class:`ConfigError`, whose
message names the offending key as a dotted path (``sensors.door.pin``). Sensors and actuators are
tables keyed by their id, so the id is the key: ``[sensors.door]`` publishes on
``pigw/<dev>/door/state``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pigw.contract import ContractError, check_id

#: BCM numbers as ints (0-27 on every 40-pin Pi) or gpiozero's pin names.
_PIN_NAME = re.compile(r"^(GPIO|BCM)([0-9]|1[0-9]|2[0-7])$|^(BOARD|J8:)([1-9]|[1-3][0-9]|40)$")

Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Text = Annotated[str, Field(min_length=1, max_length=256)]


class ConfigError(SystemExit):
    """The configuration is refused; the message names the offending key (exit status 1)."""


def _check_pin(value: int | str) -> int | str:
    if isinstance(value, bool):
        raise ValueError("a pin is a BCM number (0-27) or a name like 'GPIO17'")  # noqa: TRY004 - pydantic reports only ValueError as a validation error
    if isinstance(value, int):
        if not 0 <= value <= 27:
            raise ValueError(f"pin {value} is not a BCM GPIO number (0-27)")
        return value
    if not _PIN_NAME.fullmatch(value):
        raise ValueError(f"pin {value!r} is not a BCM number (0-27) or a name like 'GPIO17'")
    return value


Pin = Annotated[int | str, Field(union_mode="left_to_right")]


def pin_key(pin: int | str) -> str:
    """One spelling per physical pin for the duplicate check (BOARD/J8 names stay as written)."""
    if isinstance(pin, int):
        return f"GPIO{pin}"
    return re.sub(r"^BCM", "GPIO", pin)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Simulation(_Strict):
    """How ``--simulate`` drives this sensor's pin (ignored on hardware). ``signal``: ``drift``
    (random walk between low and high), ``sine``, ``square`` (toggles every period/2), ``pulse``
    (active for ``duty`` x period once per period)."""

    signal: Literal["drift", "sine", "square", "pulse"] = "sine"
    period: Seconds = 60.0
    low: Finite = 0.0
    high: Finite = 1.0
    duty: Annotated[float, Field(gt=0, lt=1)] = 0.2
    noise: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0


class _SensorBase(_Strict):
    name: Text | None = None
    unit: Annotated[str, Field(max_length=32)] | None = None
    device_class: Annotated[str, Field(max_length=64)] | None = None
    #: seconds without a publish after which the current value is published again
    heartbeat: Seconds = 300.0
    #: consecutive failed reads that mark the sensor ``offline`` (and one good read brings it back)
    failures_before_offline: Annotated[int, Field(ge=1, le=1000)] = 3
    simulate: Simulation | None = None


class _Analog(_SensorBase):
    #: seconds between samples
    interval: Seconds = 5.0
    #: publish only when the value moved by more than this since the last publish
    deadband: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    #: published value = raw x scale + offset, rounded to ``decimals``
    scale: Finite = 1.0
    offset: Finite = 0.0
    decimals: Annotated[int, Field(ge=0, le=6)] = 2


class DigitalSensor(_SensorBase):
    """A button, reed/door contact, line sensor: published on every (debounced) edge."""

    kind: Literal["digital", "motion"]
    pin: Pin
    #: use the Pi's internal pull-up (contacts to ground); ``false`` for PIR modules that drive high
    pull_up: bool | None = None
    #: seconds an edge must settle before the next one is published (trailing edge kept)
    debounce: Annotated[float, Field(ge=0, le=10)] = 0.05

    _pin = field_validator("pin")(_check_pin)


class DistanceSensor(_Analog):
    """HC-SR04 style ultrasonic sensor (gpiozero ``DistanceSensor``); raw value in metres."""

    kind: Literal["distance"]
    echo: Pin
    trigger: Pin
    max_distance: Annotated[float, Field(gt=0, le=10)] = 2.0
    scale: Finite = 100.0
    unit: Annotated[str, Field(max_length=32)] | None = "cm"
    device_class: Annotated[str, Field(max_length=64)] | None = "distance"

    _pins = field_validator("echo", "trigger")(_check_pin)


class LightSensor(_Analog):
    """LDR + capacitor (gpiozero ``LightSensor``); raw value 0 (dark) .. 1 (bright)."""

    kind: Literal["light"]
    pin: Pin
    scale: Finite = 100.0
    unit: Annotated[str, Field(max_length=32)] | None = "%"
    charge_time_limit: Annotated[float, Field(gt=0, le=1)] = 0.01

    _pin = field_validator("pin")(_check_pin)


#: The BCM pins of the Pi's hardware SPI buses, which an MCP3xxx ADC takes: MISO, MOSI, SCLK, and
#: the chip-select line of its ``spi_device``. (1-Wire's pin is set in config.txt, not here.)
SPI_PINS: dict[int, dict[str, tuple[int, ...]]] = {
    0: {"bus": (9, 10, 11), "ce": (8, 7)},
    1: {"bus": (19, 20, 21), "ce": (18, 17, 16)},
}


class AdcSensor(_Analog):
    """One channel of an MCP3xxx SPI ADC; raw value in volts (0 .. ``max_voltage``)."""

    kind: Literal["adc"]
    chip: Literal["mcp3001", "mcp3002", "mcp3004", "mcp3008", "mcp3201", "mcp3202", "mcp3204", "mcp3208"] = "mcp3008"  # fmt: skip
    channel: Annotated[int, Field(ge=0, le=7)] = 0
    differential: bool = False
    max_voltage: Annotated[float, Field(gt=0, le=5.5)] = 3.3
    spi_port: Annotated[int, Field(ge=0, le=1)] = 0
    spi_device: Annotated[int, Field(ge=0, le=2)] = 0
    unit: Annotated[str, Field(max_length=32)] | None = "V"
    device_class: Annotated[str, Field(max_length=64)] | None = "voltage"

    @model_validator(mode="after")
    def _channel_exists(self) -> AdcSensor:
        channels = {"1": 1, "2": 2, "4": 4, "8": 8}[self.chip[-1]]
        if self.channel >= channels:
            raise ValueError(f"{self.chip} has no channel {self.channel} (0-{channels - 1})")
        if self.spi_device >= len(SPI_PINS[self.spi_port]["ce"]):
            raise ValueError(f"SPI{self.spi_port} has no spi_device {self.spi_device}")
        return self


class Ds18b20Sensor(_Analog):
    """A DS18B20 1-Wire thermometer read from sysfs (``w1-gpio`` overlay)."""

    kind: Literal["ds18b20"]
    #: the sensor's 1-Wire id (``28-...``); omitted = the only ``28-*`` device present
    address: Annotated[str, Field(pattern=r"^[0-9a-f]{2}-[0-9a-f]{12}$")] | None = None
    w1_devices: Path = Path("/sys/bus/w1/devices")
    interval: Seconds = 10.0
    deadband: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.1
    unit: Annotated[str, Field(max_length=32)] | None = "°C"
    device_class: Annotated[str, Field(max_length=64)] | None = "temperature"


class CpuTemperatureSensor(_Analog):
    kind: Literal["cpu_temperature"]
    interval: Seconds = 30.0
    deadband: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.5
    unit: Annotated[str, Field(max_length=32)] | None = "°C"
    device_class: Annotated[str, Field(max_length=64)] | None = "temperature"


class LoadAverageSensor(_Analog):
    kind: Literal["load_average"]
    minutes: Literal[1, 5, 15] = 1
    interval: Seconds = 30.0
    deadband: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.05


class DiskUsageSensor(_Analog):
    kind: Literal["disk_usage"]
    filesystem: Path = Path("/")
    interval: Seconds = 300.0
    deadband: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.5
    unit: Annotated[str, Field(max_length=32)] | None = "%"


AnalogSensor = (
    DistanceSensor
    | LightSensor
    | AdcSensor
    | Ds18b20Sensor
    | CpuTemperatureSensor
    | LoadAverageSensor
    | DiskUsageSensor
)
SensorConfig = Annotated[DigitalSensor | AnalogSensor, Field(discriminator="kind")]


class ActuatorConfig(_Strict):
    """An output: ``relay`` (OutputDevice), ``led`` (LED), ``pwm_led`` (PWMLED), ``buzzer``."""

    kind: Literal["relay", "led", "pwm_led", "buzzer"]
    pin: Pin
    name: Text | None = None
    #: false for active-low relay boards (the relay closes when the pin is driven low)
    active_high: bool = True
    #: the state applied at boot, on shutdown and on SIGTERM: off/false, or 0..1 for pwm_led
    safe_state: bool | Annotated[float, Field(ge=0, le=1)] = False
    #: PWM frequency in Hz (pwm_led only)
    frequency: Annotated[int, Field(ge=1, le=10_000)] = 100
    #: seconds a command must wait after the last change before it may change the output again
    #: (relays wear out); a command sooner is acked ``rejected``. Unset: no limit.
    min_interval: Annotated[float, Field(gt=0, le=86_400, allow_inf_nan=False)] | None = None

    _pin = field_validator("pin")(_check_pin)

    @model_validator(mode="after")
    def _safe_state_fits(self) -> ActuatorConfig:
        if self.kind != "pwm_led" and not isinstance(self.safe_state, bool):
            raise ValueError("safe_state of an on/off output is true or false")
        return self

    @property
    def safe_value(self) -> bool | float:
        if self.kind == "pwm_led":
            return float(self.safe_state)
        return bool(self.safe_state)


class DeviceSection(_Strict):
    id: str | None = None
    #: the title dashboards and Home Assistant show; ``{id}`` in it becomes the device id, so one
    #: file serves a fleet started with ``--device-id`` (issue 15: forty "Simulated Pi"s)
    name: Text | None = None
    model: Text = "Raspberry Pi"

    def display_name(self, device_id: str) -> str:
        """The device's title: ``name`` with ``{id}`` replaced, or the device id without one."""
        if self.name is None:
            return device_id
        return self.name.replace("{id}", device_id)


class OutboxSection(_Strict):
    """The disk buffer (docs/agent.md, "Outbox")."""

    path: Path | None = None
    #: seconds between group commits (the SD-card write rate)
    commit_interval: Annotated[float, Field(gt=0, le=60)] = 1.0
    #: commit early when this many rows wait
    batch_rows: Annotated[int, Field(ge=1, le=100_000)] = 500
    #: acknowledged rows kept for replay: at most this many ...
    keep_acked_rows: Annotated[int, Field(ge=0, le=10_000_000)] = 10_000
    #: ... and none older than this (seconds)
    keep_acked_age: Seconds = 86_400.0
    #: the whole table: at most this many rows, none older than this; the oldest are dropped
    max_rows: Annotated[int, Field(ge=100, le=10_000_000)] = 100_000
    max_age: Seconds = 7 * 86_400.0
    #: seqs reserved durably per fsync (a crash skips at most this many)
    seq_block: Annotated[int, Field(ge=1, le=1_000_000)] = 1000


class HomeAssistantSection(_Strict):
    discovery: bool = True


class BoardConfig(_Strict):
    device: DeviceSection = DeviceSection()
    sensors: dict[str, SensorConfig] = Field(default_factory=dict)
    actuators: dict[str, ActuatorConfig] = Field(default_factory=dict)
    outbox: OutboxSection = OutboxSection()
    homeassistant: HomeAssistantSection = HomeAssistantSection()

    @field_validator("sensors", "actuators")
    @classmethod
    def _ids_valid(cls, points: dict[str, Any]) -> dict[str, Any]:
        for point_id in points:
            try:
                check_id(point_id, "id")
            except ContractError as exc:
                raise ValueError(exc.args[0]) from exc
        return points

    @model_validator(mode="after")
    def _consistent(self) -> BoardConfig:
        both = self.sensors.keys() & self.actuators.keys()
        if both:
            raise ValueError(f"ids used for both a sensor and an actuator: {sorted(both)}")
        seen: dict[str, str] = {}
        for sid, sensor in self.sensors.items():
            if isinstance(sensor, AdcSensor):  # ADCs on one bus share its pins with each other
                bus = SPI_PINS[sensor.spi_port]
                for spi_pin in (*bus["bus"], bus["ce"][sensor.spi_device]):
                    seen.setdefault(f"GPIO{spi_pin}", f"sensors.{sid} (SPI{sensor.spi_port})")
        for key, pin in self._pins():
            owner = seen.setdefault(pin_key(pin), key)
            if owner != key:
                raise ValueError(f"{key}: pin {pin!r} is already used by {owner}")
        return self

    def _pins(self) -> list[tuple[str, int | str]]:
        pins: list[tuple[str, int | str]] = []
        for sid, sensor in self.sensors.items():
            if isinstance(sensor, DigitalSensor | LightSensor):
                pins.append((f"sensors.{sid}.pin", sensor.pin))
            elif isinstance(sensor, DistanceSensor):
                pins.append((f"sensors.{sid}.echo", sensor.echo))
                pins.append((f"sensors.{sid}.trigger", sensor.trigger))
        pins.extend((f"actuators.{aid}.pin", act.pin) for aid, act in self.actuators.items())
        return pins


def describe(exc: ValidationError) -> str:
    """One line per problem, each naming the dotted key (pydantic's union branch names left out)."""
    lines = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"]]
        if len(loc) > 2 and loc[0] == "sensors" and loc[2] in _SENSOR_KINDS:
            del loc[2]  # the tagged-union branch: ("sensors", "door", "digital", "pin")
        while loc and (loc[-1] in {"int", "str", "bool", "float"} or "[" in loc[-1]):
            loc.pop()  # the member of a plain union: ("...", "pin", "int")
        lines.append(f"bad config key {'.'.join(loc) or '(top level)'}: {error['msg']}")
    return "\n".join(dict.fromkeys(lines))


_SENSOR_KINDS = frozenset(
    {"digital", "motion", "distance", "light", "adc", "ds18b20"}
    | {"cpu_temperature", "load_average", "disk_usage"}
)


def parse_config(text: str, source: str = "config") -> BoardConfig:
    """Validate TOML ``text``; raise :class:`ConfigError` naming the bad key."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return BoardConfig.model_validate(doc)
    except ValidationError as exc:
        raise ConfigError(f"{source}:\n{describe(exc)}") from exc


def load_config(path: Path) -> BoardConfig:
    """Read and validate the TOML file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
    return parse_config(text, str(path))
