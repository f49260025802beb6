"""``pigw-agent check`` and ``pigw-agent pins`` (issue 18): a board file read as the agent reads it,
without a pin or the network."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from device_agent import board_check
from device_agent.config import load_config
from tests.support.processes import REPO, venv_command

EXAMPLES = REPO / "device_agent" / "examples"

BAD_BOARD = """\
[device]
id = "bench"

[sensors.door]
kind = "digital"
pin = 17
colour = "red"

[sensors.level]
kind = "adc"
interval = -1

[sensors.dist]
kind = "distance"
echo = 23
trigger = 17

[actuators.relay1]
kind = "relay"
pin = 99

[actuators.led1]
kind = "led"
pin = 23
"""


def run_check(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return board_check.main(list(argv), out), out.getvalue()


def test_check_prints_what_the_agent_would_publish(tmp_path: Path) -> None:
    code, text = run_check(
        "check", "--config", str(EXAMPLES / "demo-board.toml"), "--device-id", "d1"
    )
    assert code == 0, text
    board = load_config(EXAMPLES / "demo-board.toml")
    for sid in board.sensors:
        assert f"pigw/d1/{sid}/state  {board.sensors[sid].kind}" in text
    assert "pigw/d1/distance/state  distance [cm]: every 1 s when it moved more than 2" in text
    assert "pigw/d1/door/state  digital: on every edge" in text
    assert "pigw/d1/relay1/set  (subscribed) commands" in text
    assert "homeassistant/device/d1/config" in text
    assert "binary_sensor.pigw_d1_door  'Front door', door" in text
    assert "light.pigw_d1_pwm1" in text  # the dimmable output is a light entity


def test_check_names_every_problem_with_its_key_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_BOARD, encoding="utf-8")
    code, text = run_check("check", "--config", str(path))
    assert code == 1
    assert "5 problems" in text
    assert "line 7: sensors.door.colour:" in text
    assert "line 11: sensors.level.interval:" in text
    assert "line 20: actuators.relay1.pin:" in text
    # The clashes too, though the agent's whole-board check is not reached with keys wrong.
    assert "line 16: sensors.dist.trigger: pin GPIO17 is already used by sensors.door.pin" in text
    assert "line 24: actuators.led1.pin: pin GPIO23 is already used by sensors.dist.echo" in text


def test_a_missing_device_id_and_an_unreadable_file_are_problems(tmp_path: Path) -> None:
    path = tmp_path / "no-id.toml"
    path.write_text('[sensors.door]\nkind = "digital"\npin = 17\n', encoding="utf-8")
    code, text = run_check("check", "--config", str(path))
    assert code == 1 and "no device id" in text
    code, text = run_check("check", "--config", str(tmp_path / "missing.toml"))
    assert code == 1 and "cannot read" in text


def test_pins_lists_every_use_and_every_clash_the_agent_refuses(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_BOARD, encoding="utf-8")
    code, text = run_check("pins", "--config", str(path))
    assert code == 1
    assert "GPIO17   digital pin" in text and "sensors.door.pin (line 6)" in text
    assert "GPIO11   SPI0 bus (adc)" in text  # the ADC's bus
    assert (
        "clash: GPIO17: sensors.dist.trigger (line 16) is already used by sensors.door.pin (line 6)"
        in text
    )
    assert text.count("clash:") == 2


def test_pins_of_a_valid_board_exit_0_and_note_the_one_wire_pin() -> None:
    code, text = run_check("pins", "--config", str(EXAMPLES / "demo-board.toml"))
    assert code == 0, text
    assert "clash:" not in text
    assert "note: GPIO4 is also the default 1-Wire pin of sensors.temperature" in text


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_every_example_board_passes_check(example: Path) -> None:
    code, text = run_check("check", "--config", str(example), "--device-id", "ex")
    assert code == 0, text


def test_check_touches_no_network_and_no_pin(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        raise AssertionError("pigw-agent check opened a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    code = subprocess.run(
        [sys.executable, "-c", (
            "import sys, io\n"
            "from device_agent import board_check\n"
            f"code = board_check.main(['check', '--config', {str(EXAMPLES / 'garden.toml')!r},"
            " '--device-id', 'g'], io.StringIO())\n"
            "assert 'gpiozero' not in sys.modules and 'paho' not in sys.modules, 'hardware loaded'\n"
            "sys.exit(code)\n"
        )],
        cwd=REPO, check=False,
    ).returncode  # fmt: skip
    assert code == 0
    code, _ = run_check("check", "--config", str(EXAMPLES / "garden.toml"), "--device-id", "g")
    assert code == 0  # and in this process, with connect() refused


def test_the_command_line_exit_codes(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_BOARD, encoding="utf-8")
    agent = venv_command("pigw-agent")
    good = subprocess.run(
        [agent, "check", "--config", str(EXAMPLES / "demo-board.toml"), "--device-id", "d1"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    bad = subprocess.run(
        [agent, "pins", "--config", str(path)], capture_output=True, text=True, check=False
    )
    assert (good.returncode, bad.returncode) == (0, 1), (good.stdout, bad.stdout)
    assert good.stdout.startswith("board OK: device d1")
