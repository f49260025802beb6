"""Process settings declared as msgspec Structs, read from flags and the environment, no pydantic.

The agent's settings (:class:`device_agent.settings.AgentSettings`) use this instead of
pydantic-settings, which would cost the agent ~10 MB of its 40 MB budget (issue 18; the deviation
is in ``docs/agent.md``). It gives what pydantic-settings gave the agent:

- every field is a kebab-case flag (``mqtt_url`` → ``--mqtt-url``) and an environment variable with
  the class's ``env_prefix`` (``PIGW_AGENT_MQTT_URL``, matched regardless of case); a flag beats
  the environment, which beats the default;
- a ``bool`` is ``--simulate / --no-simulate``; in the environment it is one of
  true/false, 1/0, yes/no, on/off;
- a ``list`` is a repeatable flag, and comma-separated values (flag or environment) are split;
- ``--help`` shows each field's description (``msgspec.Meta(description=...)``), its default and a
  ``Literal``'s choices; an unknown flag exits like argparse (status 2);
- a bad value stops start-up with :class:`SettingsError` (exit status 1), one line per bad setting
  naming its flag and its variable (:func:`bad_setting_line`, the same format as the gateway's).

A settings class is a ``msgspec.Struct`` with ``kw_only=True`` whose class variables
``env_prefix`` and ``prog`` name its variables and its command (its own docstring, if any, is
``--help``'s description). Bounds (``msgspec.Meta(ge=...)``)
are checked here, when values are converted; checks that need more (a URL, a readable file) are
the class's ``__post_init__``, which raises :class:`BadSettings`.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from msgspec import inspect as msgspec_inspect

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})


class SettingsError(SystemExit):
    """Start-up refused because of a bad setting; the message names the offending key.

    A ``SystemExit`` with a message: printed to stderr, exit status 1. The gateway's pydantic
    loader (:func:`pigw.settings.load_settings`) raises this same class."""


class BadSettings(ValueError):
    """Raised by a settings Struct's ``__post_init__``: the bad fields and why, by field name."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("\n".join(f"{name}: {why}" for name, why in self.problems.items()))


def bad_setting_line(key: str, env_prefix: str, reason: str, rest: str = "") -> str:
    """``bad setting --flag / PREFIX_KEY (rest): reason``: one bad setting, by both of its names."""
    where = f"{flag_name(key)} / {env_name(key, env_prefix)}" + (f" ({rest})" if rest else "")
    return f"bad setting {where}: {reason}"


def flag_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def env_name(field: str, env_prefix: str) -> str:
    return env_prefix + field.upper()


_S = TypeVar("_S", bound=msgspec.Struct)


@dataclass(frozen=True, slots=True)
class SettingInfo:
    """One field of a settings class, as its command shows it (``--help``, tests, docs)."""

    name: str
    flag: str
    env: str
    annotation: Any
    kind: Any  # msgspec.inspect's type, without the Meta wrapper
    default: Any
    description: str
    bounds: dict[str, float]  # of ge, gt, le, lt: those that are set

    @property
    def is_bool(self) -> bool:
        return isinstance(self.kind, msgspec_inspect.BoolType)

    @property
    def is_list(self) -> bool:
        return isinstance(self.kind, msgspec_inspect.ListType)

    @property
    def choices(self) -> tuple[Any, ...]:
        """A ``Literal``'s values in the order declared (msgspec sorts them), else ``()``."""
        return _literal_values(self.annotation)

    @property
    def metavar(self) -> str:
        if self.choices:
            return "{" + ",".join(str(value) for value in self.choices) + "}"
        return _type_label(self.kind)


def describe_settings(cls: type[msgspec.Struct]) -> list[SettingInfo]:
    """Every field of ``cls`` with its flag, variable, default, description and bounds."""
    prefix = str(getattr(cls, "env_prefix", ""))
    annotations = {info.name: info.type for info in msgspec.structs.fields(cls)}
    described = []
    info = msgspec_inspect.type_info(cls)
    assert isinstance(info, msgspec_inspect.StructType)
    for field in info.fields:
        kind: Any = field.type
        description = ""
        if isinstance(kind, msgspec_inspect.Metadata):
            description = str((kind.extra_json_schema or {}).get("description", ""))
            kind = kind.type
        default = field.default
        if field.default_factory is not msgspec.NODEFAULT:
            default = field.default_factory()
        bounds = {
            key: getattr(kind, key)
            for key in ("ge", "gt", "le", "lt")
            if getattr(kind, key, None) is not None
        }
        described.append(
            SettingInfo(
                name=field.name,
                flag=flag_name(field.name),
                env=env_name(field.name, prefix),
                annotation=annotations[field.name],
                kind=kind,
                default=default,
                description=description,
                bounds=bounds,
            )
        )
    return described


def load_struct_settings(
    cls: type[_S], args: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> _S:
    """Read ``cls`` from ``args`` (default: ``sys.argv[1:]``) and ``environ`` (default: the
    process's environment).

    ``--help`` and an unknown flag exit as argparse does (status 0 / 2); a bad value stops start-up
    with :class:`SettingsError` (exit status 1) naming the flag and the environment variable."""
    prefix = str(getattr(cls, "env_prefix", ""))
    settings = describe_settings(cls)
    given = _parse_flags(cls, settings, sys.argv[1:] if args is None else list(args))
    env = {
        key.upper(): value for key, value in (os.environ if environ is None else environ).items()
    }
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for setting in settings:
        if setting.name in given:
            raw: Any = given[setting.name]
        elif setting.env.upper() in env:
            raw = env[setting.env.upper()]
        else:
            continue
        try:
            values[setting.name] = _convert(setting, raw)
        except ValueError as exc:
            problems[setting.name] = str(exc)
    loaded: _S | None = None
    try:
        # Direct construction: __post_init__ checks what bounds cannot (URLs, files, prefixes);
        # with some values already refused it still runs, on their defaults, to name every problem.
        loaded = cls(**values)
    except BadSettings as exc:
        problems.update({k: v for k, v in exc.problems.items() if k not in problems})
    if problems or loaded is None:
        order = [setting.name for setting in settings]
        lines = [
            bad_setting_line(name, prefix, problems[name])
            for name in sorted(problems, key=lambda n: order.index(n) if n in order else len(order))
        ]
        raise SettingsError("\n".join(lines))
    return loaded


def _parse_flags(
    cls: type[msgspec.Struct], settings: list[SettingInfo], args: list[str]
) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        prog=str(getattr(cls, "prog", None) or os.path.basename(sys.argv[0])),
        # The class's own docstring, as pydantic-settings shows it (AgentSettings has none).
        description=inspect.cleandoc(cls.__dict__["__doc__"])
        if cls.__dict__.get("__doc__")
        else None,
        allow_abbrev=False,
    )
    for setting in settings:
        help_text = f"{setting.description} (default: {setting.default})".lstrip()
        options: dict[str, Any] = {
            "dest": setting.name,
            "default": argparse.SUPPRESS,
            "help": help_text.replace("%", "%%"),
        }
        if setting.is_bool:
            parser.add_argument(setting.flag, action=argparse.BooleanOptionalAction, **options)
        elif setting.is_list:
            parser.add_argument(setting.flag, action="append", metavar=setting.metavar, **options)
        else:
            parser.add_argument(setting.flag, metavar=setting.metavar, **options)
    return vars(parser.parse_args(args))


def _convert(setting: SettingInfo, raw: Any) -> Any:
    """A flag's or variable's text as the field's type, or :class:`ValueError` saying why not."""
    if setting.is_bool and isinstance(raw, str):
        word = raw.strip().lower()
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise ValueError(f"{raw!r} is not {_expected(setting.kind, setting.choices)}")
        return word in TRUE_WORDS
    if setting.is_list:
        items = [raw] if isinstance(raw, str) else list(raw)
        raw = [part.strip() for item in items for part in item.split(",") if part.strip()]
    try:
        return msgspec.convert(raw, setting.annotation, strict=False, dec_hook=_decode_custom)
    except msgspec.ValidationError as exc:
        shown = raw if isinstance(raw, str) else ",".join(map(str, raw))
        raise ValueError(f"{shown!r} is not {_expected(setting.kind, setting.choices)}") from exc


def _decode_custom(kind: type, value: Any) -> Any:
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise ValueError(f"cannot read {kind.__name__} from {value!r}")


def _type_label(kind: Any) -> str:
    """How ``--help`` names a value: ``int``, ``Path``, ``list[str]``, ``{a,b}`` for choices."""
    labels: dict[type, str] = {
        msgspec_inspect.IntType: "int",
        msgspec_inspect.FloatType: "float",
        msgspec_inspect.StrType: "str",
        msgspec_inspect.BoolType: "bool",
    }
    if isinstance(kind, msgspec_inspect.Metadata):
        return _type_label(kind.type)
    if isinstance(kind, msgspec_inspect.ListType):
        return f"list[{_type_label(kind.item_type)}]"
    if isinstance(kind, msgspec_inspect.CustomType):
        return kind.cls.__name__
    if isinstance(kind, msgspec_inspect.UnionType):
        return " | ".join(
            _type_label(t) for t in kind.types if not isinstance(t, msgspec_inspect.NoneType)
        )
    return labels.get(type(kind), "str")


def _literal_values(annotation: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _literal_values(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return typing.get_args(annotation)
    return ()


def _expected(kind: Any, choices: tuple[Any, ...] = ()) -> str:
    """What a value must be, in words: ``an integer >= 5 and <= 3600``."""
    if isinstance(kind, msgspec_inspect.LiteralType):
        return "one of " + ", ".join(repr(v) for v in choices or kind.values)
    if isinstance(kind, msgspec_inspect.ListType):
        return f"a list of {_expected(kind.item_type)}"
    if isinstance(kind, msgspec_inspect.UnionType):
        return " or ".join(
            _expected(t) for t in kind.types if not isinstance(t, msgspec_inspect.NoneType)
        )
    words: dict[type, str] = {
        msgspec_inspect.BoolType: "a boolean (true/false, 1/0, yes/no, on/off)",
        msgspec_inspect.IntType: "an integer",
        msgspec_inspect.FloatType: "a number",
        msgspec_inspect.StrType: "a string",
    }
    symbols = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    limits = [
        f"{symbols[key]} {getattr(kind, key)}"
        for key in symbols
        if getattr(kind, key, None) is not None
    ]
    return words.get(type(kind), "valid") + (" " + " and ".join(limits) if limits else "")
