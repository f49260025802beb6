"""The board description: a TOML file validated into msgspec structs (docs/agent.md, "Config
reference").

The sensor tables come from the registry of kinds (:mod:`device_agent.kinds`); this module holds
the board around them: device, actuators, outbox, Home Assistant. Pure: no gpiozero, no paho. A
bad key, pin or id stops start-up with :class:`ConfigError`, whose message names every offending
key as a dotted path (``sensors.door.pin``), one per line. Sensors and actuators are
tables keyed by their id, so the id is the key: ``[sensors.door]`` publishes on
``pigw/<dev>/door/state``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from device_agent.kinds import SensorConfig, convert_sensor
from device_agent.schema import (
    Pin,
    Problem,
    Seconds,
    Strict,
    Text,
    check_pin,
    convert,
    field_error,
    pin_key,
)
from pigw.contract import ContractError, check_id


class ConfigError(SystemExit):
    """The configuration is refused; the message names the offending key (exit status 1)."""


class ActuatorConfig(Strict, frozen=True, kw_only=True):
    """An output: ``relay`` (OutputDevice), ``led`` (LED), ``pwm_led`` (PWMLED), ``buzzer``."""

    kind: Literal["relay", "led", "pwm_led", "buzzer"]
    pin: Pin
    name: Text | None = None
    #: false for active-low relay boards (the relay closes when the pin is driven low)
    active_high: bool = True
    #: the state applied at boot, on shutdown and on SIGTERM: off/false, or 0..1 for pwm_led
    safe_state: bool | Annotated[float, Meta(ge=0, le=1)] = False
    #: PWM frequency in Hz (pwm_led only)
    frequency: Annotated[int, Meta(ge=1, le=10_000)] = 100
    #: seconds a command must wait after the last change before it may change the output again
    #: (relays wear out); a command sooner is acked ``rejected``. Unset: no limit.
    min_interval: Annotated[float, Meta(gt=0, le=86_400)] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_pin("pin", self.pin)
        if self.kind != "pwm_led" and not isinstance(self.safe_state, bool):
            raise field_error("safe_state", "safe_state of an on/off output is true or false")

    @property
    def safe_value(self) -> bool | float:
        if self.kind == "pwm_led":
            return float(self.safe_state)
        return bool(self.safe_state)


class DeviceSection(Strict, frozen=True, kw_only=True):
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


class OutboxSection(Strict, frozen=True, kw_only=True):
    """The disk buffer (docs/agent.md, "Outbox")."""

    path: Path | None = None
    #: seconds between group commits (the SD-card write rate)
    commit_interval: Annotated[float, Meta(gt=0, le=60)] = 5.0
    #: commit early when this many rows wait
    batch_rows: Annotated[int, Meta(ge=1, le=100_000)] = 500
    #: acknowledged rows kept for replay: at most this many ...
    keep_acked_rows: Annotated[int, Meta(ge=0, le=10_000_000)] = 10_000
    #: ... and none older than this (seconds)
    keep_acked_age: Seconds = 86_400.0
    #: the whole table: at most this many rows, none older than this; the oldest are dropped
    max_rows: Annotated[int, Meta(ge=100, le=10_000_000)] = 100_000
    max_age: Seconds = 7 * 86_400.0
    #: seqs reserved durably per fsync (a crash skips at most this many)
    seq_block: Annotated[int, Meta(ge=1, le=1_000_000)] = 1000


class HomeAssistantSection(Strict, frozen=True, kw_only=True):
    discovery: bool = True


class BoardConfig(Strict, frozen=True, kw_only=True):
    """The whole board, built by :func:`parse_config` (which checks it): sections and tables."""

    device: DeviceSection = DeviceSection()
    sensors: dict[str, SensorConfig] = msgspec.field(default_factory=dict)
    actuators: dict[str, ActuatorConfig] = msgspec.field(default_factory=dict)
    outbox: OutboxSection = OutboxSection()
    homeassistant: HomeAssistantSection = HomeAssistantSection()

    def pin_uses(self) -> list[tuple[str, int | str]]:
        """``(dotted key, pin)`` of every pin a sensor or an output takes alone."""
        pins = [
            (f"sensors.{sid}.{field}", pin)
            for sid, sensor in self.sensors.items()
            for field, pin in sensor.pins()
        ]
        pins.extend((f"actuators.{aid}.pin", act.pin) for aid, act in self.actuators.items())
        return pins


#: The tables of a board file besides ``[sensors.*]`` and ``[actuators.*]``.
SECTIONS: dict[str, type[Strict]] = {
    "device": DeviceSection,
    "outbox": OutboxSection,
    "homeassistant": HomeAssistantSection,
}


def board_problems(board: BoardConfig) -> list[Problem]:
    """What no single table can see: ids used twice, pins taken twice."""
    problems: list[Problem] = []
    for sid in board.sensors.keys() & board.actuators.keys():
        problems.append((f"actuators.{sid}", f"id {sid!r} is also a sensor's"))
    seen: dict[str, str] = {}
    for sid, sensor in board.sensors.items():
        for spi_pin, bus in sensor.shared_pins():  # shared only among sensors of that bus
            seen.setdefault(f"GPIO{spi_pin}", f"sensors.{sid} ({bus})")
    for key, pin in board.pin_uses():
        owner = seen.setdefault(pin_key(pin), key)
        if owner != key:
            problems.append((key, f"pin {pin!r} is already used by {owner}"))
    return problems


def build_board(doc: dict[str, Any]) -> tuple[BoardConfig | None, list[Problem]]:
    """A TOML document as a board, and every problem of it (each table is checked on its own,
    so one run names them all)."""
    problems: list[Problem] = []
    sections: dict[str, Any] = {}
    for name in doc.keys() - {*SECTIONS, "sensors", "actuators"}:
        takes = ", ".join(["device", "sensors", "actuators", "outbox", "homeassistant"])
        problems.append((name, f"unknown table (a board file has: {takes})"))
    for name, cls in SECTIONS.items():
        if name in doc:
            sections[name], found = convert(doc[name], cls, name)
            problems.extend(found)
    tables: dict[str, dict[str, Any]] = {"sensors": {}, "actuators": {}}
    for group, points in tables.items():
        raw = doc.get(group, {})
        if not isinstance(raw, dict):
            problems.append((group, "must be tables: [sensors.<id>] or [actuators.<id>]"))
            continue
        for point_id, table in raw.items():
            key = f"{group}.{point_id}"
            try:
                check_id(point_id, "id")
            except ContractError as exc:
                problems.append((key, str(exc.args[0])))
                continue
            if group == "sensors":
                points[point_id], found = convert_sensor(table, key)
            else:
                points[point_id], found = convert(table, ActuatorConfig, key)
            problems.extend(found)
    if problems:
        return None, problems
    board = BoardConfig(
        device=sections.get("device", DeviceSection()),
        sensors=tables["sensors"],
        actuators=tables["actuators"],
        outbox=sections.get("outbox", OutboxSection()),
        homeassistant=sections.get("homeassistant", HomeAssistantSection()),
    )
    problems = board_problems(board)
    return (None if problems else board), problems


def describe(problems: list[Problem]) -> str:
    """One line per problem, each naming the dotted key."""
    return "\n".join(dict.fromkeys(f"bad config key {key}: {message}" for key, message in problems))


def parse_config(text: str, source: str = "config") -> BoardConfig:
    """Validate TOML ``text``; raise :class:`ConfigError` naming every bad key."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    board, problems = build_board(doc)
    if board is None:
        raise ConfigError(f"{source}:\n{describe(problems)}")
    return board


def load_config(path: Path) -> BoardConfig:
    """Read and validate the TOML file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
    return parse_config(text, str(path))
