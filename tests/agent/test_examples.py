"""The example configs in ``device_agent/examples`` are valid, and the demo-board file is the
built-in demo board."""

from __future__ import annotations

from pathlib import Path

import pytest

from device_agent.config import load_config
from device_agent.demo_board import demo_board

EXAMPLES = Path(__file__).resolve().parents[2] / "device_agent" / "examples"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_example_config_is_valid(path: Path) -> None:
    board = load_config(path)
    assert board.sensors or board.actuators


def test_demo_board_file_matches_the_built_in_board() -> None:
    assert load_config(EXAMPLES / "demo-board.toml") == demo_board()


def test_systemd_unit_restarts_always() -> None:
    unit = (EXAMPLES.parents[1] / "deploy" / "systemd" / "pigw-agent.service").read_text()
    assert "Restart=always" in unit
    assert "ExecStart=" in unit
