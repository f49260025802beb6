"""The agent's settings: env ``PIGW_AGENT_*`` or the matching ``--flag`` (CONTRACT.md, "Names").

The board itself (sensors, outputs, outbox tuning) lives in the TOML file given by ``--config``
(:mod:`device_agent.config`); these are the process-level settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from pigw.settings import CommonSettings


class AgentSettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="PIGW_AGENT_", cli_prog_name="pigw-agent")

    config: Path | None = Field(None, description="TOML file describing the board")
    device_id: str | None = Field(
        None, description="device id; without it, [device] id of the config file"
    )
    simulate: bool = Field(False, description="run on gpiozero's mock pins with a demo board")
    outbox: Path | None = Field(None, description="SQLite file that buffers readings on disk")
    check_config: bool = Field(False, description="only validate the configuration, then exit")
    mqtt_session_expiry: int = Field(
        86400, ge=0, le=2**32 - 1, description="MQTT 5 session expiry in seconds"
    )
    mqtt_backoff_min: float = Field(
        0.5, gt=0, le=60, description="first reconnect delay in seconds (doubles, with jitter)"
    )
    mqtt_backoff_max: float = Field(30.0, gt=0, le=3600, description="longest reconnect delay")
    mqtt_max_inflight: int = Field(
        100, ge=1, le=65535, description="QoS 1 messages awaiting PUBACK at once"
    )
    mqtt_max_queued: int = Field(
        10000, ge=0, description="messages paho holds in memory (the outbox holds the rest)"
    )
    simulate_seed: int = Field(0, description="seed of the simulated signals (--simulate)")
    command_max_age: float = Field(
        30.0,
        gt=0,
        le=86400,
        description=(
            "seconds a command without exp may have waited in the broker's session while the agent"
            " was offline and still run; older ones are acked expired (docs/agent.md)"
        ),
    )
