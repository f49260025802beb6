"""The common flags are declared twice since issue 18: on pydantic-settings for the gateway
(:class:`pigw.settings.CommonSettings`) and as a msgspec Struct for the agent
(:class:`pigw.common_flags.CommonFlags`). Both commands must offer them alike: same names, flags,
variables (after the command's prefix), defaults, bounds, choices and descriptions."""

from __future__ import annotations

import typing
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic_settings import BaseSettings

from device_agent.settings import AgentSettings
from gateway.settings import GatewaySettings
from pigw.common_flags import CommonFlags
from pigw.settings import CommonSettings
from pigw.struct_settings import describe_settings

COMMON = list(CommonSettings.model_fields)


def pydantic_view(cls: type[BaseSettings]) -> dict[str, dict[str, Any]]:
    """Each common field as the gateway's command offers it."""
    view = {}
    for name in COMMON:
        field = cls.model_fields[name]
        bounds = {
            key: getattr(meta, key)
            for meta in field.metadata
            if isinstance(meta, Ge | Gt | Le | Lt)
            for key in ("ge", "gt", "le", "lt")
            if hasattr(meta, key)
        }
        annotation = field.annotation
        choices = (
            typing.get_args(annotation) if typing.get_origin(annotation) is typing.Literal else ()
        )
        view[name] = {
            "flag": "--" + name.replace("_", "-"),
            # pydantic-settings reads prefix + NAME unless the field has an alias (none has).
            "variable": str(field.validation_alias or field.alias or name).upper(),
            "default": field.get_default(call_default_factory=True),
            "bounds": bounds,
            "choices": choices,
            "description": field.description,
        }
    return view


def msgspec_view(cls: type[CommonFlags]) -> dict[str, dict[str, Any]]:
    """Each common field as the agent's command offers it."""
    view = {}
    for setting in describe_settings(cls):
        if setting.name in COMMON:
            view[setting.name] = {
                "flag": setting.flag,
                "variable": setting.env.removeprefix(cls.env_prefix),
                "default": setting.default,
                "bounds": setting.bounds,
                "choices": setting.choices,
                "description": setting.description,
            }
    return view


def test_both_declarations_have_the_same_fields_in_the_same_order() -> None:
    assert [s.name for s in describe_settings(CommonFlags)] == COMMON
    assert [s.name for s in describe_settings(AgentSettings)][: len(COMMON)] == COMMON


def test_both_commands_offer_the_common_flags_alike() -> None:
    gateway = pydantic_view(GatewaySettings)
    agent = msgspec_view(AgentSettings)
    for name in COMMON:
        assert agent[name] == gateway[name], name
    # The comparison compares something: bounds and choices were read from both sides.
    assert gateway["mqtt_keepalive"]["bounds"] == {"ge": 5, "le": 3600}
    assert agent["log_level"]["choices"] == ("debug", "info", "warning", "error")


def test_each_command_has_its_own_prefix() -> None:
    agent = {s.name: s.env for s in describe_settings(AgentSettings)}
    assert agent["mqtt_url"] == "PIGW_AGENT_MQTT_URL"
    assert GatewaySettings.model_config.get("env_prefix") == "PIGW_GATEWAY_"
