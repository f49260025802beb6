"""Settings both commands share, on pydantic-settings: the gateway's base class.

``pigw-gateway`` defines one pydantic-settings class that inherits from :class:`CommonSettings`
with its env prefix ``PIGW_GATEWAY_``; every field is also a CLI flag (``mqtt_url`` →
``--mqtt-url``). Settings are read once, at start-up, by :func:`load_settings`, and handed down;
nothing else reads the environment.

``pigw-agent`` declares the same fields as a msgspec Struct (:class:`pigw.common_flags.CommonFlags`,
read by :mod:`pigw.struct_settings`) so that its process never imports pydantic (issue 18). What
the values mean (URLs, password file, TLS) is one implementation, :mod:`pigw.broker_access`; the
error format and :class:`SettingsError` are :mod:`pigw.struct_settings`'s; and
``tests/pigw/test_common_flags_agree.py`` keeps the two declarations of the fields equal.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, CliApp, NoDecode, SettingsConfigDict

from pigw.broker_access import (
    BrokerAccess,
    BrokerAddress,
    check_mqtt_urls,
    check_readable_file,
    parse_mqtt_url,
    split_mqtt_urls,
)
from pigw.contract import DEFAULT_DISCOVERY_PREFIX, DEFAULT_PREFIX, check_prefix
from pigw.contract.errors import ContractError
from pigw.struct_settings import SettingsError, bad_setting_line

__all__ = [
    "BrokerAddress",
    "CommonSettings",
    "SettingsError",
    "describe_errors",
    "load_settings",
    "parse_mqtt_url",
]

LogLevel = Literal["debug", "info", "warning", "error"]
LogFormat = Literal["text", "json"]


class CommonSettings(BaseSettings, BrokerAccess):
    """The flags both commands take (CONTRACT.md, "Common flags")."""

    model_config = SettingsConfigDict(
        extra="forbid",
        cli_kebab_case=True,
        cli_implicit_flags=True,
        cli_hide_none_type=True,
        cli_avoid_json=True,
        validate_default=True,
    )

    # A list for broker failover (issue 19): the flag may be repeated, the environment variable
    # holds one URL or several separated by commas (NoDecode: not JSON, so a single URL in the
    # environment works exactly as before). The first is tried first; see docs/scale-out.md.
    mqtt_url: Annotated[list[str], NoDecode] = Field(
        ["mqtt://127.0.0.1:1883"],
        description="broker URL: mqtt://host:port, or mqtts:// for TLS; repeat it (or separate "
        "URLs by commas) for the nodes of a cluster, tried in turn when one is lost",
    )
    mqtt_username: str | None = Field(None, description="MQTT user name")
    mqtt_password_file: Path | None = Field(
        None, description="file whose first line is the MQTT password (never a flag value)"
    )
    mqtt_ca_file: Path | None = Field(
        None, description="CA certificate(s) to verify the broker; without it, the system store"
    )
    mqtt_cert_file: Path | None = Field(None, description="client certificate for mutual TLS")
    mqtt_key_file: Path | None = Field(None, description="private key of the client certificate")
    topic_prefix: str = Field(DEFAULT_PREFIX, description="first topic level(s) of every topic")
    discovery_prefix: str = Field(
        DEFAULT_DISCOVERY_PREFIX, description="Home Assistant discovery prefix"
    )
    # 15, not the contract's 30: a hung Pi then turns `offline` within ~22 s instead of ~45 s
    # (issue 15; the cost is in docs/agent.md, "Keepalive").
    mqtt_keepalive: int = Field(
        15, ge=5, le=3600, description="seconds; a silent peer is noticed within 1.5x this"
    )
    log_level: LogLevel = Field("info", description="debug, info, warning or error")
    log_format: LogFormat = Field("text", description="text for people, json for log shippers")

    @field_validator("mqtt_url", mode="before")
    @classmethod
    def _urls_split(cls, value: object) -> object:
        return split_mqtt_urls(value) if isinstance(value, str) else value

    @field_validator("mqtt_url")
    @classmethod
    def _urls_parse(cls, value: list[str]) -> list[str]:
        return check_mqtt_urls(value)

    @field_validator("topic_prefix", "discovery_prefix")
    @classmethod
    def _prefix_is_plain(cls, value: str) -> str:
        try:
            return check_prefix(value)
        except ContractError as exc:
            raise ValueError(str(exc.args[0])) from exc

    @field_validator("mqtt_password_file", "mqtt_ca_file", "mqtt_cert_file", "mqtt_key_file")
    @classmethod
    def _file_readable(cls, value: Path | None) -> Path | None:
        return check_readable_file(value)


_S = TypeVar("_S", bound=BaseSettings)


def describe_errors(exc: ValidationError, env_prefix: str) -> str:
    """One line per bad setting, naming both its flag and its environment variable."""
    lines = []
    for error in exc.errors(include_url=False):
        key = str(error["loc"][0]) if error["loc"] else "?"
        rest = ".".join(str(part) for part in error["loc"][1:])
        lines.append(bad_setting_line(key, env_prefix, error["msg"], rest))
    return "\n".join(lines)


def load_settings(cls: type[_S], args: list[str] | None = None) -> _S:
    """Read ``cls`` from the environment and ``args`` (default: ``sys.argv[1:]``).

    A bad value stops start-up with :class:`SettingsError` (exit status 1) whose message names the
    flag and the environment variable."""
    try:
        return CliApp.run(cls, cli_args=sys.argv[1:] if args is None else args)
    except ValidationError as exc:
        prefix = str(cls.model_config.get("env_prefix", ""))
        raise SettingsError(describe_errors(exc, prefix)) from exc
