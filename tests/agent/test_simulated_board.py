"""The gpiozero adapters on the simulated factory: the same code that runs on a Pi."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from device_agent.config import parse_config
from device_agent.hardware.board import Board, build_board
from tests.support.waiting import wait_until

BOARD = """
[sensors.door]
kind = "digital"
pin = 17
simulate = { signal = "square", period = 2 }
[sensors.tank]
kind = "distance"
echo = 23
trigger = 24
simulate = { signal = "sine", period = 1000, low = 0.5, high = 0.9 }
[sensors.soil]
kind = "adc"
chip = "mcp3208"
channel = 3
simulate = { signal = "sine", period = 1000, low = 1.0, high = 2.0 }
[sensors.light]
kind = "light"
pin = 25
interval = 0.5
simulate = { signal = "sine", period = 1000, low = 0.5, high = 0.5 }
[actuators.relay1]
kind = "relay"
pin = 5
active_high = false
[actuators.pwm1]
kind = "pwm_led"
pin = 12
safe_state = 0.1
"""


@pytest.fixture
def board() -> Iterator[Board]:
    built = build_board(parse_config(BOARD), simulate=True)
    try:
        yield built
    finally:
        built.close()


def test_digital_edges_reach_the_callback(board: Board) -> None:
    levels: list[bool] = []
    board.digital["door"].watch(levels.append)
    assert board.simulator is not None
    board.simulator.tick(0.0)
    board.simulator.tick(1.0)
    board.simulator.tick(2.0)
    assert levels[-2:] == [False, True] or levels[-2:] == [True, False]
    assert len(levels) >= 2


def test_adc_channel_reads_the_simulated_voltage(board: Board) -> None:
    assert board.simulator is not None
    board.simulator.tick(0.0)
    assert board.analog["soil"].read() == pytest.approx(1.0, abs=0.01)


def test_distance_sensor_measures_the_simulated_echo(board: Board) -> None:
    assert board.simulator is not None
    board.simulator.tick(0.0)
    wait_until(lambda: abs(board.analog["tank"].read() - 0.5) < 0.1, 20, "a distance near 0.5 m")


def test_light_sensor_measures_the_simulated_charge_time(board: Board) -> None:
    assert board.simulator is not None
    board.simulator.tick(0.0)
    wait_until(lambda: 0.2 < board.analog["light"].read() < 0.6, 20, "a light level near 0.5")


def test_outputs_start_safe_and_active_low_relays_invert_the_pin(board: Board) -> None:
    relay = board.outputs["relay1"]
    assert relay.value is False
    assert relay.device.pin.state == 1  # active-low board: off means the pin is high
    relay.apply(True)
    assert relay.device.pin.state == 0
    pwm = board.outputs["pwm1"]
    assert pwm.value == pytest.approx(0.1)
    assert pwm.apply(0.75) == pytest.approx(0.75)
    pwm.make_safe()
    assert pwm.value == pytest.approx(0.1)
