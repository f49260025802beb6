"""The gateway's settings: env ``PIGW_GATEWAY_*`` or the matching ``--flag``.

Read once by :func:`pigw.settings.load_settings` in ``pigw-gateway`` and handed to
:func:`gateway.app.create_app`; nothing else reads the environment. Every limit the gateway enforces
is here, with its default and the policy at the limit described in ``docs/gateway.md``.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from gateway.alerts.rules import AlertsFileError, load_rules
from gateway.recorder.url import HistoryUrl, default_history_url, parse_history_url
from pigw.contract import check_id, derive_id
from pigw.contract.errors import ContractError
from pigw.settings import CommonSettings

MIB = 1024 * 1024


class GatewaySettings(CommonSettings):
    """Run the pigw gateway (tokens: pigw-gateway token create --help)."""

    model_config = SettingsConfigDict(env_prefix="PIGW_GATEWAY_", cli_prog_name="pigw-gateway")

    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(8000, ge=1, le=65535, description="HTTP port")
    tokens_file: Path | None = Field(None, description="tokens file (see docs/security.md)")
    cors_origin: list[str] = Field(
        default_factory=list,
        description="browser origin allowed to call the API from another site (repeatable)",
    )
    gateway_id: str | None = Field(
        None,
        description="MQTT client id suffix; stable across restarts, unique per replica "
        "(without it, derived from the host name)",
    )
    insecure: bool = Field(False, description="allow a non-loopback bind without a tokens file")

    # --- the live stream ----------------------------------------------------------------------
    max_streams: int = Field(
        2000, ge=1, description="concurrent SSE + WebSocket clients; more get 503"
    )
    ring_events: int = Field(
        10_000, ge=16, description="events kept for Last-Event-ID resume (count limit)"
    )
    ring_bytes: int = Field(
        4 * MIB, ge=64 * 1024, description="events kept for Last-Event-ID resume (byte limit)"
    )
    ping_interval: float = Field(
        15.0, gt=0, description="seconds of silence after which a stream gets ': ping'"
    )
    retry_ms: int = Field(2000, ge=0, description="the SSE 'retry:' hint sent on connect (ms)")
    slow_stream_timeout: float = Field(
        30.0, gt=0, description="a stream whose client has not read for this long is closed (s)"
    )
    snapshot_wait: float = Field(
        10.0, ge=0, description="how long a first snapshot waits for the retained state (s)"
    )

    # --- state --------------------------------------------------------------------------------
    history_size: int = Field(500, ge=1, description="readings kept per sensor")
    replay_delay: float = Field(
        1.0, ge=0, description="seconds a seq gap waits for an in-flight backlog before replay"
    )
    replay_attempts: int = Field(3, ge=1, description="replay requests per gap at most")
    replay_retry: float = Field(5.0, gt=0, description="seconds between replay requests")

    # --- commands and requests ----------------------------------------------------------------
    command_timeout: float = Field(10.0, gt=0, description="seconds to wait for a command's ack")
    command_rate: float = Field(5.0, gt=0, description="commands per second per token")
    command_burst: int = Field(10, ge=1, description="commands a token may send at once")
    max_body_bytes: int = Field(MIB, ge=1024, description="largest request body (413 above)")
    max_url_bytes: int = Field(8192, ge=256, description="longest request target (414 above)")
    max_header_bytes: int = Field(
        32 * 1024, ge=1024, description="largest request header block (431 above)"
    )

    # --- MQTT session -------------------------------------------------------------------------
    session_expiry: int = Field(
        86_400, ge=0, description="seconds the broker keeps the gateway's session while away"
    )

    # --- the recorder: the history store (Contract v3, issue 14) ------------------------------
    history_url: str | None = Field(
        None,
        description="history store: sqlite:///<path>, postgresql://… or none "
        "(default sqlite:///<state dir>/history.db)",
    )
    state_dir: Path | None = Field(
        None, description="folder for the gateway's files (default $STATE_DIRECTORY, else ./.run)"
    )
    history_raw_days: float = Field(10.0, gt=0, description="days raw readings are kept")
    history_minute_days: float = Field(90.0, gt=0, description="days 1-minute buckets are kept")
    history_max_mb: int = Field(
        1024, ge=1, description="MB the store may use; past it the oldest rows go (raw first)"
    )
    history_queue: int = Field(
        100_000, ge=100, description="readings waiting for the store at most (more: replayed later)"
    )
    history_batch: int = Field(
        5_000, ge=1, description="readings per store transaction (more behind a burst)"
    )
    history_retention_interval: float = Field(
        60.0, gt=0, description="seconds between retention steps"
    )

    # --- alerts (Contract v3, issue 16) -------------------------------------------------------
    alerts_file: Path | None = Field(
        None,
        description="alert rules and notifiers (TOML, see docs/alerts.md); re-read on SIGHUP",
    )
    alert_retry_s: float = Field(
        600.0, gt=0, description="seconds a failed alert delivery is retried (with backoff)"
    )

    @field_validator("alerts_file")
    @classmethod
    def _alerts_file_checks(cls, value: Path | None) -> Path | None:
        # Checked here so that a bad rule stops start-up before anything connects (issue 16);
        # the runtime reads the file again when it starts, and on every SIGHUP.
        if value is not None:
            try:
                load_rules(value)
            except AlertsFileError as exc:
                raise ValueError(str(exc)) from exc
        return value

    # --- hardening: connections, hosts, sessions (Contract v3, issue 17) ----------------------
    # (fields of the hardening go here)
    tokens_reload: float = Field(
        2.0,
        gt=0,
        le=3600,
        description="seconds between checks of the tokens file; a removed token or a changed "
        "role loses its sessions and open streams within this time",
    )
    allowed_host: list[str] = Field(
        default_factory=list,
        description="a Host name the gateway answers to besides loopback (repeatable); needed in "
        "open mode for any other name, and in token mode it turns the Host check on (421 else)",
    )
    header_timeout: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="seconds a request head (request line + headers) may take to arrive; "
        "slower ones get 408 and the connection closes",
    )
    max_connections: int = Field(
        4000, ge=1, description="open connections at most; one more gets 503 and is closed"
    )
    max_streams_per_token: int = Field(
        200, ge=1, description="open streams one token may hold (503 beyond); not in open mode"
    )
    max_sessions: int = Field(
        10_000, ge=1, description="browser sessions kept; a new one beyond ends the oldest"
    )
    ha_discovery: bool = Field(
        False,
        description="publish Home Assistant discovery for every device from its validated meta "
        "(production: devices then lose their homeassistant/... write right, docs/security.md)",
    )
    history_budget: int = Field(
        250_000,
        ge=1000,
        description="readings kept in memory over all sensors together; past it every sensor "
        "keeps an equal share (oldest first out)",
    )

    @field_validator("history_url")
    @classmethod
    def _history_url_valid(cls, value: str | None) -> str | None:
        if value is not None:
            parse_history_url(value)  # a ValueError names what is wrong
        return value

    @field_validator("gateway_id")
    @classmethod
    def _gateway_id_valid(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return check_id(value, "gateway id")
        except ContractError as exc:
            raise ValueError(str(exc.args[0])) from exc

    @field_validator("cors_origin")
    @classmethod
    def _origins_plain(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin == "*" or not origin.startswith(("http://", "https://")):
                raise ValueError(
                    f"{origin!r}: give each allowed origin as http(s)://host[:port] ('*' is refused)"
                )
        return [origin.rstrip("/") for origin in value]

    @field_validator("allowed_host")
    @classmethod
    def _hosts_plain(cls, value: list[str]) -> list[str]:
        for host in value:
            if not host or any(c in host for c in "/ *,@") or host.startswith("http"):
                raise ValueError(
                    f"{host!r}: give each allowed host as a bare name or address "
                    "(pigw.example.org, 192.168.1.10, [fd00::1]); no scheme, path or wildcard"
                )
        return [host.lower() for host in value]

    @field_validator("tokens_file")
    @classmethod
    def _tokens_file_readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a readable file (create it with 'token create')")
        return value

    @model_validator(mode="after")
    def _bind_is_safe(self) -> GatewaySettings:
        # Issue 6: a gateway reachable from the network must not be open to everybody by accident.
        if self.tokens_file is None and not self.insecure and not is_loopback(self.host):
            raise ValueError(
                f"--host {self.host} is reachable from other machines: give --tokens-file "
                "(see docs/security.md) or, knowingly, --insecure"
            )
        return self

    @property
    def resolved_gateway_id(self) -> str:
        """``--gateway-id`` or, by default, an id derived from the host name (stable across
        restarts, as the persistent MQTT session needs)."""
        return self.gateway_id or derive_id(socket.gethostname(), fallback="gateway")

    @property
    def resolved_state_dir(self) -> Path:
        """``--state-dir``, else systemd's ``$STATE_DIRECTORY`` (its first entry), else ``./.run``."""
        if self.state_dir is not None:
            return self.state_dir
        systemd = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
        return Path(systemd) if systemd else Path(".run")

    @property
    def resolved_history_url(self) -> HistoryUrl:
        """``--history-url`` parsed; by default an SQLite file in the state folder."""
        return parse_history_url(self.history_url or default_history_url(self.resolved_state_dir))

    @property
    def open_access(self) -> bool:
        """No tokens file: every request is allowed (loopback demo, or ``--insecure``)."""
        return self.tokens_file is None


def is_loopback(host: str) -> bool:
    """True when ``host`` binds only this machine (``127.0.0.0/8``, ``::1``, ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
