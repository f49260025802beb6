"""The flags both commands share (CONTRACT.md, "Common flags"), as a msgspec Struct: the agent's.

:class:`device_agent.settings.AgentSettings` derives from :class:`CommonFlags` and is read by
:func:`pigw.struct_settings.load_struct_settings`, so the agent never imports pydantic (issue 18).
The gateway declares the same fields on pydantic-settings (:class:`pigw.settings.CommonSettings`);
``tests/pigw/test_common_flags_agree.py`` keeps the two declarations equal (names, defaults,
variables, bounds, descriptions), and both call :mod:`pigw.broker_access` for what the values mean.

Bounds (``msgspec.Meta(ge=..., le=...)``) are checked only when values are converted, that is by
the loader; msgspec does not check them when a class is constructed directly (as tests do, with
``AgentSettings(mqtt_url=url, simulate=True)``). ``__post_init__`` checks the rest in both cases:
the broker URLs, the prefixes and that the file settings name readable files. A single URL string
given for ``mqtt_url`` is taken as a list of one (or of several, separated by commas).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar, Literal

import msgspec

from pigw.broker_access import (
    BrokerAccess,
    check_mqtt_urls,
    check_readable_file,
    split_mqtt_urls,
)
from pigw.contract import DEFAULT_DISCOVERY_PREFIX, DEFAULT_PREFIX, check_prefix
from pigw.contract.errors import ContractError
from pigw.struct_settings import BadSettings

LogLevel = Literal["debug", "info", "warning", "error"]
LogFormat = Literal["text", "json"]

FILE_SETTINGS = ("mqtt_password_file", "mqtt_ca_file", "mqtt_cert_file", "mqtt_key_file")


def _default_urls() -> list[str]:
    return ["mqtt://127.0.0.1:1883"]


class CommonFlags(msgspec.Struct, BrokerAccess, kw_only=True, frozen=True):
    """The flags both commands take; a subclass sets ``env_prefix`` and ``prog``."""

    env_prefix: ClassVar[str] = ""
    prog: ClassVar[str] = ""

    # A list for broker failover (issue 19): the flag may be repeated, the environment variable
    # holds one URL or several separated by commas. The first is tried first; docs/scale-out.md.
    mqtt_url: Annotated[
        list[str],
        msgspec.Meta(
            description="broker URL: mqtt://host:port, or mqtts:// for TLS; repeat it (or separate "
            "URLs by commas) for the nodes of a cluster, tried in turn when one is lost"
        ),
    ] = msgspec.field(default_factory=_default_urls)
    mqtt_username: Annotated[str | None, msgspec.Meta(description="MQTT user name")] = None
    mqtt_password_file: Annotated[
        Path | None,
        msgspec.Meta(description="file whose first line is the MQTT password (never a flag value)"),
    ] = None
    mqtt_ca_file: Annotated[
        Path | None,
        msgspec.Meta(
            description="CA certificate(s) to verify the broker; without it, the system store"
        ),
    ] = None
    mqtt_cert_file: Annotated[
        Path | None, msgspec.Meta(description="client certificate for mutual TLS")
    ] = None
    mqtt_key_file: Annotated[
        Path | None, msgspec.Meta(description="private key of the client certificate")
    ] = None
    topic_prefix: Annotated[
        str, msgspec.Meta(description="first topic level(s) of every topic")
    ] = DEFAULT_PREFIX
    discovery_prefix: Annotated[
        str, msgspec.Meta(description="Home Assistant discovery prefix")
    ] = DEFAULT_DISCOVERY_PREFIX
    # 15, not the contract's 30: a hung Pi then turns `offline` within ~22 s instead of ~45 s
    # (issue 15; the cost is in docs/agent.md, "Keepalive").
    mqtt_keepalive: Annotated[
        int,
        msgspec.Meta(
            ge=5, le=3600, description="seconds; a silent peer is noticed within 1.5x this"
        ),
    ] = 15
    log_level: Annotated[LogLevel, msgspec.Meta(description="debug, info, warning or error")] = (
        "info"
    )
    log_format: Annotated[
        LogFormat, msgspec.Meta(description="text for people, json for log shippers")
    ] = "text"

    def __post_init__(self) -> None:
        problems: dict[str, str] = {}
        # A plain string (direct construction) or comma-separated items: one URL per element.
        urls = split_mqtt_urls(self.mqtt_url)
        msgspec.structs.force_setattr(self, "mqtt_url", urls)
        try:
            check_mqtt_urls(urls)
        except ValueError as exc:
            problems["mqtt_url"] = str(exc)
        for name in ("topic_prefix", "discovery_prefix"):
            try:
                check_prefix(getattr(self, name))
            except ContractError as exc:
                problems[name] = str(exc.args[0])
        for name in FILE_SETTINGS:
            try:
                check_readable_file(getattr(self, name))
            except ValueError as exc:
                problems[name] = str(exc)
        if problems:
            raise BadSettings(problems)
