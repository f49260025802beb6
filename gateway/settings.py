"""The gateway's settings: env ``PIGW_GATEWAY_*`` or the matching ``--flag``."""

from __future__ import annotations

import socket
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from pigw.contract import derive_id
from pigw.settings import CommonSettings


class GatewaySettings(CommonSettings):
    model_config = SettingsConfigDict(env_prefix="PIGW_GATEWAY_", cli_prog_name="pigw-gateway")

    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(8000, ge=1, le=65535, description="HTTP port")
    tokens_file: Path | None = Field(None, description="tokens file (see docs/security.md)")
    cors_origin: list[str] = Field(default_factory=list, description="allowed browser origin")
    gateway_id: str = Field(
        default_factory=lambda: derive_id(socket.gethostname()),
        description="MQTT client id suffix; stable across restarts, unique per replica",
    )
    insecure: bool = Field(False, description="allow a non-loopback bind without a tokens file")
