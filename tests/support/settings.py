"""Both commands' settings classes behind one interface, for tests that check deploy files against
them: the gateway's pydantic-settings class and the agent's msgspec Struct (issue 18)."""

from __future__ import annotations

from typing import Any

import msgspec
from pydantic_settings import BaseSettings

from pigw.settings import load_settings
from pigw.struct_settings import describe_settings, load_struct_settings

SettingsClass = type[BaseSettings] | type[msgspec.Struct]


def load_command_settings(cls: SettingsClass, args: list[str]) -> Any:
    """Read ``cls`` from ``args`` and the environment, as its command does at start-up."""
    if issubclass(cls, msgspec.Struct):
        return load_struct_settings(cls, args)
    return load_settings(cls, args)


def env_names(cls: SettingsClass) -> set[str]:
    """Every environment variable the command reads a setting from."""
    if issubclass(cls, msgspec.Struct):
        return {setting.env for setting in describe_settings(cls)}
    prefix = str(cls.model_config.get("env_prefix", ""))
    return {prefix + name.upper() for name in cls.model_fields}
