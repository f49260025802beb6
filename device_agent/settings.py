"""The agent's settings: env ``PIGW_AGENT_*`` or the matching ``--flag`` (CONTRACT.md, "Names")."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from pigw.settings import CommonSettings


class AgentSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="PIGW_AGENT_", cli_prog_name="pigw-agent")

    config: Path | None = Field(None, description="TOML file describing the board")
    device_id: str | None = Field(None, description="device id (default: from the config file)")
    simulate: bool = Field(False, description="run on gpiozero's mock pins with a demo board")
    outbox: Path | None = Field(None, description="SQLite file that buffers readings on disk")
    check_config: bool = Field(False, description="only validate the configuration, then exit")
