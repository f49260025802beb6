"""``pigw-agent`` / ``python -m device_agent``."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pigw
from device_agent.agent import Agent
from device_agent.config import BoardConfig, ConfigError, load_config
from device_agent.demo_board import DEMO_DEVICE_ID, demo_board
from device_agent.hardware.board import HardwareError
from device_agent.outbox import OutboxError
from device_agent.settings import AgentSettings
from pigw.contract import ContractError, check_id
from pigw.logs import configure_logging
from pigw.struct_settings import load_struct_settings


def resolve(settings: AgentSettings) -> tuple[BoardConfig, str, Path]:
    """The board, the device id and the outbox path, or :class:`ConfigError` naming the key."""
    if settings.config is not None:
        board = load_config(settings.config)
    elif settings.simulate:
        board = demo_board()
    else:
        raise ConfigError("no board: give --config FILE (or --simulate for the demo board)")
    candidate = settings.device_id or board.device.id
    if candidate is None:
        if not settings.simulate:
            raise ConfigError("no device id: set [device] id in the config or --device-id")
        candidate = DEMO_DEVICE_ID
    key = "--device-id" if settings.device_id else "device.id"
    try:
        device_id = check_id(candidate, "device id")
    except ContractError as exc:
        raise ConfigError(f"bad config key {key}: {exc.args[0]}") from exc
    outbox = (
        settings.outbox
        or board.outbox.path
        or Path.home() / ".local" / "state" / "pigw" / f"outbox-{device_id}.sqlite"
    )
    return board, device_id, outbox


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] in (["check"], ["pins"]):
        from device_agent import board_check  # noqa: PLC0415 - only these commands pay for it

        try:
            code = board_check.main(args)
            sys.stdout.flush()
        except BrokenPipeError:  # `pigw-agent check … | head`: the reader left, not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = 0
        raise SystemExit(code)
    if "--version" in args:
        # The installed distribution's version (importlib.metadata): what meta's `sw` carries.
        print(f"pigw-agent {pigw.__version__}")
        return
    settings = load_struct_settings(AgentSettings, args)
    configure_logging(settings.log_level, settings.log_format)
    board, device_id, outbox = resolve(settings)
    if settings.check_config:
        print(
            f"config OK: device {device_id}, {len(board.sensors)} sensors, "
            f"{len(board.actuators)} outputs"
        )
        return
    try:
        code = asyncio.run(Agent(settings, board, device_id, outbox).run())
    except (HardwareError, OutboxError) as exc:
        raise SystemExit(f"pigw-agent: {exc}") from exc
    sys.exit(code)


if __name__ == "__main__":
    main()
