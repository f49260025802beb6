"""The board description: a TOML file validated by pydantic (docs/agent.md, "Config reference").

The sensor tables come from the registry of kinds (:mod:`device_agent.kinds`); this module holds
the board around them: device, actuators, outbox, Home Assistant. Pure: no gpiozero, no paho. A
bad key, pin or id stops start-up with :class:`ConfigError`, whose message names the offending key
as a dotted path (``sensors.door.pin``). Sensors and actuators are
tables keyed by their id, so the id is the key: ``[sensors.door]`` publishes on
``pigw/<dev>/door/state``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from device_agent.kinds import SENSOR_KINDS, SensorConfig
from device_agent.schema import Pin, Seconds, Strict, Text, check_pin, pin_key
from pigw.contract import ContractError, check_id


class ConfigError(SystemExit):
    """The configuration is refused; the message names the offending key (exit status 1)."""


class ActuatorConfig(Strict):
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

    _pin = field_validator("pin")(check_pin)

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


class DeviceSection(Strict):
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


class OutboxSection(Strict):
    """The disk buffer (docs/agent.md, "Outbox")."""

    path: Path | None = None
    #: seconds between group commits (the SD-card write rate)
    commit_interval: Annotated[float, Field(gt=0, le=60)] = 5.0
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


class HomeAssistantSection(Strict):
    discovery: bool = True


class BoardConfig(Strict):
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
            for spi_pin, bus in sensor.shared_pins():  # shared only among sensors of that bus
                seen.setdefault(f"GPIO{spi_pin}", f"sensors.{sid} ({bus})")
        for key, pin in self._pins():
            owner = seen.setdefault(pin_key(pin), key)
            if owner != key:
                raise ValueError(f"{key}: pin {pin!r} is already used by {owner}")
        return self

    def _pins(self) -> list[tuple[str, int | str]]:
        pins = [
            (f"sensors.{sid}.{field}", pin)
            for sid, sensor in self.sensors.items()
            for field, pin in sensor.pins()
        ]
        pins.extend((f"actuators.{aid}.pin", act.pin) for aid, act in self.actuators.items())
        return pins


def describe(exc: ValidationError) -> str:
    """One line per problem, each naming the dotted key (pydantic's union branch names left out)."""
    lines = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"]]
        if len(loc) > 2 and loc[0] == "sensors" and loc[2] in SENSOR_KINDS:
            del loc[2]  # the tagged-union branch: ("sensors", "door", "digital", "pin")
        while loc and (loc[-1] in {"int", "str", "bool", "float"} or "[" in loc[-1]):
            loc.pop()  # the member of a plain union: ("...", "pin", "int")
        lines.append(f"bad config key {'.'.join(loc) or '(top level)'}: {error['msg']}")
    return "\n".join(dict.fromkeys(lines))


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
