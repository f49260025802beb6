"""``pigw-agent check`` and ``pigw-agent pins``: read a board file the way the agent would, without
touching a pin or the network (docs/agent.md, "Checking a board file").

``check --config FILE`` prints what the agent would publish (topics, kinds, intervals, the Home
Assistant entities) or every problem, each with its dotted key and its line in the file; exit 0/1.
``pins --config FILE`` prints which GPIO pins the board uses for what and every clash the agent
refuses; exit 0/1. Pure apart from reading the file and printing: built on
:func:`device_agent.config.parse_config` (the agent's own validation) and on the raw TOML for the
pin map, so a board with clashes still gets its whole map.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import pigw
from device_agent.config import BoardConfig, ConfigError, parse_config
from device_agent.discovery import discovery_payload
from device_agent.kinds import EdgeSensor, SampledSensor, SensorBase, convert_sensor
from device_agent.schema import pin_key
from pigw.contract import DEFAULT_DISCOVERY_PREFIX, DEFAULT_PREFIX, ContractError, Topics, check_id

_PROBLEM = re.compile(r"^bad config key (\S+): (.*)$")
_KEY_IN_TEXT = re.compile(r"\b((?:sensors|actuators)\.[a-z0-9_-]+(?:\.[a-z_]+)?)")
_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z0-9_.\"' -]+?)\s*=")


@dataclass(frozen=True, slots=True)
class Problem:
    key: str
    message: str
    line: int | None


def key_lines(text: str) -> dict[str, int]:
    """The line (1-based) of every table header and key in a TOML text, by dotted key. Enough
    TOML for board files: ``[a.b]`` headers, ``key = …`` and ``a.b = …`` assignments."""
    lines: dict[str, int] = {}
    prefix: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(raw)
        if header:
            prefix = [part.strip().strip("\"'") for part in header.group(1).split(".")]
            lines.setdefault(".".join(prefix), number)
            continue
        assignment = _ASSIGNMENT.match(raw)
        if assignment and not raw.lstrip().startswith("#"):
            parts = [part.strip().strip("\"'") for part in assignment.group(1).split(".")]
            lines.setdefault(".".join([*prefix, *parts]), number)
    return lines


def line_of(key: str, lines: dict[str, int]) -> int | None:
    """The line of ``key``, or of its nearest enclosing table when the key itself is not written
    (a missing key is reported where its table starts)."""
    parts = key.split(".")
    while parts:
        found = lines.get(".".join(parts))
        if found is not None:
            return found
        parts.pop()
    return None


def problems_of(error: ConfigError, text: str) -> list[Problem]:
    """Every problem a :class:`ConfigError` names, with its key and line."""
    lines = key_lines(text)
    found: list[Problem] = []
    for raw in str(error).splitlines()[1:] or [str(error)]:
        match = _PROBLEM.match(raw)
        key, message = (match.group(1), match.group(2)) if match else ("(file)", raw)
        if key == "(top level)":
            named = _KEY_IN_TEXT.search(message)
            key = named.group(1) if named else key
            message = message.removeprefix("Value error, ")
        found.append(Problem(key, message, line_of(key, lines)))
    return found


# --- pins --------------------------------------------------------------------------------------


#: DS18B20s are read from sysfs; the kernel's w1-gpio overlay owns the pin (GPIO4 unless
#: ``dtoverlay=w1-gpio,gpiopin=N`` says otherwise), so the agent does not claim it: a note, no clash.
ONE_WIRE = "1-Wire (w1-gpio default pin)"


@dataclass(frozen=True, slots=True)
class PinUse:
    pin: str  # one spelling per physical pin (config.pin_key)
    key: str  # the dotted key that asks for it
    what: str  # what it is for


def pin_uses(doc: dict[str, Any]) -> list[PinUse]:
    """Every pin a raw board document asks for, in file order (also when it clashes)."""
    uses: list[PinUse] = []
    sensors = doc.get("sensors") if isinstance(doc.get("sensors"), dict) else {}
    actuators = doc.get("actuators") if isinstance(doc.get("actuators"), dict) else {}
    for sid, table in (sensors or {}).items():
        if not isinstance(table, dict):
            continue
        kind = table.get("kind")
        model = _sensor_table(table)
        if model is not None:  # the kind says which pins it takes (device_agent.kinds)
            for field, pin in model.pins():
                uses.append(PinUse(pin_key(pin), f"sensors.{sid}.{field}", f"{kind} {field}"))
            for number, bus in model.shared_pins():
                uses.append(PinUse(f"GPIO{number}", f"sensors.{sid}", f"{bus} bus ({kind})"))
        else:  # a table with a wrong key: its pins as written, so the map is still whole
            for field in ("pin", "echo", "trigger"):
                value = table.get(field)
                if isinstance(value, int | str) and not isinstance(value, bool):
                    uses.append(PinUse(pin_key(value), f"sensors.{sid}.{field}", f"{kind} {field}"))
        if kind == "ds18b20":
            uses.append(PinUse("GPIO4", f"sensors.{sid}", ONE_WIRE))
    for aid, table in (actuators or {}).items():
        if isinstance(table, dict):
            value = table.get("pin")
            if isinstance(value, int | str) and not isinstance(value, bool):
                uses.append(PinUse(pin_key(value), f"actuators.{aid}.pin", str(table.get("kind"))))
    return uses


def _sensor_table(table: dict[str, Any]) -> SensorBase | None:
    """The table as its kind reads it; with wrong keys, as read without them (their defaults
    stand in, see :func:`device_agent.schema.convert`), for the pins of the rest."""
    model, _problems = convert_sensor(table, "sensor")
    return model


def clashes(uses: Sequence[PinUse]) -> list[tuple[PinUse, PinUse]]:
    """(later use, first use) for every pin asked for twice, as the agent refuses them
    (``BoardConfig``): ADCs share their SPI bus's pins with each other, and the 1-Wire pin is
    the kernel's (see :data:`ONE_WIRE`), so neither is a clash."""
    first: dict[str, PinUse] = {}
    found: list[tuple[PinUse, PinUse]] = []
    for use in uses:
        if use.what == ONE_WIRE:
            continue
        owner = first.setdefault(use.pin, use)
        if owner is use or (owner.what.startswith("SPI") and use.what.startswith("SPI")):
            continue
        found.append((use, owner))
    return found


def one_wire_notes(uses: Sequence[PinUse]) -> list[tuple[PinUse, PinUse]]:
    """(other use, the 1-Wire use) where a board also uses the default 1-Wire pin."""
    wire = next((use for use in uses if use.what == ONE_WIRE), None)
    if wire is None:
        return []
    return [(use, wire) for use in uses if use.pin == wire.pin and use.what != ONE_WIRE]


# --- the reports -------------------------------------------------------------------------------


def report_board(
    board: BoardConfig, device_id: str, topics: Topics, out: TextIO
) -> None:  # the agent's view of a valid board
    write = out.write
    write(
        f"board OK: device {device_id} ({board.device.name or device_id}, {board.device.model})\n"
    )
    write(f"  {topics.status(device_id)}  online/offline (retained, Last Will)\n")
    write(f"  {topics.meta(device_id)}  meta (retained)\n")
    write(f"  {topics.backlog(device_id)}  readings buffered while the broker was away\n")
    write(f"  {topics.replay(device_id)}  (subscribed) replay requests\n")
    write(f"sensors ({len(board.sensors)}):\n")
    for sid, sensor in board.sensors.items():
        unit = f" [{sensor.unit}]" if sensor.unit else ""
        if isinstance(sensor, EdgeSensor):
            when = (
                f"on every edge (debounce {sensor.debounce:g} s), heartbeat {sensor.heartbeat:g} s"
            )
        elif isinstance(sensor, SampledSensor):
            when = (
                f"every {sensor.interval:g} s when it moved more than {sensor.deadband:g}, "
                f"heartbeat {sensor.heartbeat:g} s"
            )
        else:
            when = f"heartbeat {sensor.heartbeat:g} s"
        write(f"  {topics.state(device_id, sid)}  {sensor.kind}{unit}: {when}\n")
        write(f"  {topics.availability(device_id, sid)}  online/offline (retained)\n")
    write(f"actuators ({len(board.actuators)}):\n")
    for aid, actuator in board.actuators.items():
        write(f"  {topics.state(device_id, aid)}  {actuator.kind} state (retained)\n")
        write(f"  {topics.command(device_id, aid)}  (subscribed) commands\n")
        write(f"  {topics.ack(device_id, aid)}  acknowledgements\n")
    if not board.homeassistant.discovery:
        write("Home Assistant discovery: off\n")
        return
    doc = discovery_payload(board, device_id, topics, pigw.__version__)
    write(f"Home Assistant: {topics.discovery(device_id)} (retained), entities:\n")
    for cid, component in doc["components"].items():
        extra = f", {component['device_class']}" if "device_class" in component else ""
        unit = (
            f" [{component['unit_of_measurement']}]" if "unit_of_measurement" in component else ""
        )
        write(f"  {component['platform']}.{component['unique_id']}  {component['name']!r}{extra}{unit}"
              f"  ({cid})\n")  # fmt: skip


def check(path: Path, device_id: str | None, topics: Topics, out: TextIO) -> int:
    text, problem = _read(path)
    if problem is not None:
        out.write(f"{path}: {problem}\n")
        return 1
    try:
        board = parse_config(text, str(path))
    except ConfigError as exc:
        found = problems_of(exc, text)
        found.extend(_clash_problems(text, {item.key for item in found}))
        found.sort(key=lambda item: item.line if item.line is not None else 1 << 30)
        out.write(f"{path}: {len(found)} problem{'s' if len(found) != 1 else ''}\n")
        for item in found:
            where = f"line {item.line}" if item.line is not None else "line ?"
            out.write(f"  {where}: {item.key}: {item.message}\n")
        return 1
    candidate = device_id or board.device.id
    try:
        resolved = check_id(candidate, "device id") if candidate else None
    except ContractError as exc:
        key = "--device-id" if device_id else "device.id"
        out.write(f"{path}:\n  line {line_of('device.id', key_lines(text)) or '?'}: {key}: {exc}\n")
        return 1
    if resolved is None:
        out.write(f"{path}: no device id: set [device] id in the file or give --device-id\n")
        return 1
    report_board(board, resolved, topics, out)
    return 0


def _clash_problems(text: str, reported: set[str]) -> list[Problem]:
    """Pin clashes the agent's whole-board check would refuse, which it does not reach while a
    key is wrong: so that one run names every problem."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return []
    lines = key_lines(text)
    return [
        Problem(
            later.key, f"pin {later.pin} is already used by {first.key}", line_of(later.key, lines)
        )
        for later, first in clashes(pin_uses(doc))
        if later.key not in reported
    ]


def pins(path: Path, out: TextIO) -> int:
    text, problem = _read(path)
    if problem is not None:
        out.write(f"{path}: {problem}\n")
        return 1
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        out.write(f"{path}: not valid TOML: {exc}\n")
        return 1
    lines = key_lines(text)
    uses = pin_uses(doc)
    out.write(f"{path}: {len(uses)} pin use{'s' if len(uses) != 1 else ''}\n")
    for use in sorted(uses, key=_pin_order):
        out.write(f"  {use.pin:8s} {use.what:36s} {use.key} (line {line_of(use.key, lines)})\n")
    for other, wire in one_wire_notes(uses):
        out.write(
            f"note: {other.pin} is also the default 1-Wire pin of {wire.key}: move one "
            f"(dtoverlay=w1-gpio,gpiopin=N) on a real Pi\n"
        )
    found = clashes(uses)
    for later, first in found:
        out.write(
            f"clash: {later.pin}: {later.key} (line {line_of(later.key, lines)}) is already used "
            f"by {first.key} (line {line_of(first.key, lines)})\n"
        )
    return 1 if found else 0


def _pin_order(use: PinUse) -> tuple[int, str]:
    number = re.fullmatch(r"GPIO(\d+)", use.pin)
    return (int(number.group(1)) if number else 1000, use.pin)


def _read(path: Path) -> tuple[str, str | None]:
    try:
        return path.read_text(encoding="utf-8"), None
    except OSError as exc:
        return "", f"cannot read: {exc.strerror}"


def main(argv: Sequence[str], out: TextIO = sys.stdout) -> int:
    """``pigw-agent check|pins --config FILE``."""
    parser = argparse.ArgumentParser(
        prog="pigw-agent", description="Check a board file without touching pins or the network."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser(
        "check", help="validate a board file and print what the agent would publish"
    )
    check_parser.add_argument("--config", type=Path, required=True, help="the board file (TOML)")
    check_parser.add_argument("--device-id", help="as the agent's --device-id")
    check_parser.add_argument("--topic-prefix", default=DEFAULT_PREFIX)
    check_parser.add_argument("--discovery-prefix", default=DEFAULT_DISCOVERY_PREFIX)
    pins_parser = commands.add_parser("pins", help="which GPIO pins the board uses, and clashes")
    pins_parser.add_argument("--config", type=Path, required=True, help="the board file (TOML)")
    args = parser.parse_args(list(argv))
    if args.command == "pins":
        return pins(args.config, out)
    try:
        topics = Topics(args.topic_prefix, args.discovery_prefix)
    except ContractError as exc:
        out.write(f"bad topic prefix: {exc}\n")
        return 1
    return check(args.config, args.device_id, topics, out)
