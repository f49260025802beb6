"""The agent's settings: env ``PIGW_AGENT_*`` or the matching ``--flag`` (CONTRACT.md, "Names").

The board itself (sensors, outputs, outbox tuning) lives in the TOML file given by ``--config``
(:mod:`device_agent.config`); these are the process-level settings. A msgspec Struct read by
:func:`pigw.struct_settings.load_struct_settings`, not pydantic-settings: the agent's path does not
import pydantic (issue 18; docs/agent.md, "Design decisions and deviations").

Bounds are checked by the loader; constructed directly (``AgentSettings(mqtt_url=url,
simulate=True)``, as tests do) only ``__post_init__``'s checks run (URLs, prefixes, files).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar

import msgspec

from pigw.common_flags import CommonFlags


class AgentSettings(CommonFlags, kw_only=True, frozen=True):
    env_prefix: ClassVar[str] = "PIGW_AGENT_"
    prog: ClassVar[str] = "pigw-agent"

    config: Annotated[Path | None, msgspec.Meta(description="TOML file describing the board")] = (
        None
    )
    device_id: Annotated[
        str | None,
        msgspec.Meta(description="device id; without it, [device] id of the config file"),
    ] = None
    simulate: Annotated[
        bool, msgspec.Meta(description="run on gpiozero's mock pins with a demo board")
    ] = False
    outbox: Annotated[
        Path | None, msgspec.Meta(description="SQLite file that buffers readings on disk")
    ] = None
    check_config: Annotated[
        bool, msgspec.Meta(description="only validate the configuration, then exit")
    ] = False
    mqtt_session_expiry: Annotated[
        int, msgspec.Meta(ge=0, le=2**32 - 1, description="MQTT 5 session expiry in seconds")
    ] = 86400
    mqtt_backoff_min: Annotated[
        float,
        msgspec.Meta(
            gt=0, le=60, description="first reconnect delay in seconds (doubles, with jitter)"
        ),
    ] = 0.5
    mqtt_backoff_max: Annotated[
        float, msgspec.Meta(gt=0, le=3600, description="longest reconnect delay")
    ] = 30.0
    mqtt_max_inflight: Annotated[
        int, msgspec.Meta(ge=1, le=65535, description="QoS 1 messages awaiting PUBACK at once")
    ] = 100
    mqtt_max_queued: Annotated[
        int,
        msgspec.Meta(ge=0, description="messages paho holds in memory (the outbox holds the rest)"),
    ] = 10000
    simulate_seed: Annotated[
        int, msgspec.Meta(description="seed of the simulated signals (--simulate)")
    ] = 0
    command_max_age: Annotated[
        float,
        msgspec.Meta(
            gt=0,
            le=86400,
            description=(
                "seconds a command without exp may have waited in the broker's session while the"
                " agent was offline and still run; older ones are acked expired (docs/agent.md)"
            ),
        ),
    ] = 30.0
