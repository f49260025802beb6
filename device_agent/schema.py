"""The building blocks of the board description: pins, durations, texts, simulated signals, and the
validation of one table. Pure.

Shared by the board's sections (:mod:`device_agent.config`) and every sensor kind
(:mod:`device_agent.kinds`); no gpiozero, no paho, and no pydantic: tables are msgspec structs,
because pydantic would cost the agent about 10 MB of its 40 MB on a Pi Zero (issue 18,
docs/agent.md "Memory"). :func:`convert` checks a TOML table against one and names every problem by
its dotted key.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import Meta

#: BCM numbers as ints (0-27 on every 40-pin Pi) or gpiozero's pin names.
_PIN_NAME = re.compile(r"^(GPIO|BCM)([0-9]|1[0-9]|2[0-7])$|^(BOARD|J8:)([1-9]|[1-3][0-9]|40)$")

# Every float of a table must be finite (Strict.__post_init__): TOML can spell inf and nan.
Seconds = Annotated[float, Meta(gt=0)]
Finite = float
Text = Annotated[str, Meta(min_length=1, max_length=256)]
Unit = Annotated[str, Meta(max_length=32)]
DeviceClass = Annotated[str, Meta(max_length=64)]
Pin = int | str


def field_error(key: str, reason: str) -> ValueError:
    """A problem a table's own check finds, naming its key (``"pin: 40 is not ..."``) so that
    :func:`convert` reports it under ``<table>.<key>``. msgspec reports a ``__post_init__`` error
    at the table itself, so the key travels in the message."""
    return ValueError(f"{key}: {reason}")


def check_pin(key: str, value: int | str) -> None:
    """Refuse a pin that is none, as a :func:`field_error` of ``key``."""
    if isinstance(value, int):
        if not 0 <= value <= 27:
            raise field_error(key, f"pin {value} is not a BCM GPIO number (0-27)")
    elif not _PIN_NAME.fullmatch(value):
        raise field_error(key, f"pin {value!r} is not a BCM number (0-27) or a name like 'GPIO17'")


def pin_key(pin: int | str) -> str:
    """One spelling per physical pin for the duplicate check (BOARD/J8 names stay as written)."""
    if isinstance(pin, int):
        return f"GPIO{pin}"
    return re.sub(r"^BCM", "GPIO", pin)


class Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """A config table: unknown keys are refused, values are frozen, floats are finite.

    Subclasses declare ``frozen=True, kw_only=True`` too (msgspec applies kw_only per class, mypy
    wants frozen on each), and a subclass's
    ``__post_init__`` calls this one first. Construct tables from TOML with :func:`convert`:
    msgspec checks types and ``Meta`` bounds when converting, not when a struct is built directly.
    """

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, float) and not math.isfinite(value):
                raise field_error(name, f"{value} is not a finite number")


class Simulation(Strict, frozen=True, kw_only=True):
    """How ``--simulate`` drives this sensor's pin (ignored on hardware). ``signal``: ``drift``
    (random walk between low and high), ``sine``, ``square`` (toggles every period/2), ``pulse``
    (active for ``duty`` x period once per period)."""

    signal: Literal["drift", "sine", "square", "pulse"] = "sine"
    period: Seconds = 60.0
    low: Finite = 0.0
    high: Finite = 1.0
    duty: Annotated[float, Meta(gt=0, lt=1)] = 0.2
    noise: Annotated[float, Meta(ge=0)] = 0.0


#: One problem of a board file: its dotted key and what is wrong.
Problem = tuple[str, str]

T = TypeVar("T", bound=Strict)

_AT = re.compile(r"^(?P<message>.*) - at `\$(?P<path>[^`]*)`$", re.S)
_ROOT_FIELD = re.compile(r"^Object (?P<what>contains unknown|missing required) field `(?P<key>[^`]+)`$")  # fmt: skip
_OWN_CHECK = re.compile(r"^(?P<key>[a-z_]+): (?P<reason>.*)$", re.S)


def convert(table: object, cls: type[T], key: str) -> tuple[T | None, list[Problem]]:
    """``table`` (from TOML) as a ``cls``, and every problem as ``(dotted key, message)``.

    msgspec stops at the first problem, so after each one the key at fault is set aside (its
    default stands in) and the table is checked again, until it passes or a required key is at
    fault. The struct is returned whenever the rest passes, problems or not, so that a report can
    still use what is right (``pigw-agent pins``); a board with any problem is refused."""
    if not isinstance(table, dict):
        return None, [(key, f"must be a table, not {_toml_type(table)}")]
    fields = {field.name: field for field in msgspec.structs.fields(cls)}
    remaining = dict(table)
    problems: list[Problem] = []
    while True:
        try:
            return msgspec.convert(remaining, cls, dec_hook=_paths), problems
        except msgspec.ValidationError as exc:
            where, message = _locate(str(exc), cls)
            field = where.split(".")[0] if where else None
            problems.append((f"{key}.{where}" if where else key, message))
            known = fields.get(field) if field is not None else None
            if field not in remaining or (known is not None and known.required):
                return None, problems  # nothing to set aside
            del remaining[field]


def _locate(text: str, cls: type[Strict]) -> tuple[str | None, str]:
    """(the dotted key at fault inside the table, or ``None`` for the table itself; a message for
    people) of a msgspec error about a ``cls``."""
    fields = [field.name for field in msgspec.structs.fields(cls)]
    at = _AT.fullmatch(text)
    if at is not None:  # a value: "$.interval", "$.simulate.signal", "$.list[0]"
        where = re.sub(r"\[(\d+)\]", r".\1", at.group("path").lstrip("."))
        message = _plain(at.group("message"))
        choices = _choices(cls, where.split("."))
        if message.startswith("invalid enum value") and choices:
            message = f"invalid {message[len('invalid enum ') :]} (one of {', '.join(choices)})"
        return where, message
    root = _ROOT_FIELD.fullmatch(text)
    if root is not None:
        if root.group("what") == "missing required":
            return root.group("key"), "is required"
        return root.group("key"), f"unknown key (this table takes: {', '.join(fields)})"
    own = _OWN_CHECK.fullmatch(text)
    if own is not None and own.group("key") in fields:
        return own.group("key"), own.group("reason")
    return None, _plain(text)


def _choices(cls: type, path: list[str]) -> list[str]:
    """The values a ``Literal`` field at ``path`` inside ``cls`` takes (``[]`` if it is none)."""
    info: Any = msgspec.inspect.type_info(cls)
    for name in path:
        while isinstance(info, msgspec.inspect.UnionType):  # "Simulation | None"
            info = next(
                (t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)), None
            )
        if not isinstance(info, msgspec.inspect.StructType):
            return []
        info = next((f.type for f in info.fields if f.name == name), None)
    if isinstance(info, msgspec.inspect.LiteralType):
        return [str(value) for value in info.values]
    return []


_WORDS = {"`float`": "a number", "`int`": "an integer", "`str`": "a string", "`bool`": "a boolean"}


def _plain(message: str) -> str:
    """msgspec's wording for people: "Expected `float` > 0.0" → "expected a number > 0.0"."""
    for code, word in _WORDS.items():
        message = message.replace(code, word)
    message = message.replace("`", "")
    return message[:1].lower() + message[1:]


def _paths(cls: type, value: Any) -> Any:
    """msgspec's hook for types it does not know: ``Path`` fields are written as strings."""
    if cls is Path and isinstance(value, str):
        return Path(value)
    raise TypeError(f"expected {getattr(cls, '__name__', cls)}, got {_toml_type(value)}")


def _toml_type(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    names |= {list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)
