"""Publishing policies end to end, in-process so the test can drive a mock pin itself: edges at
once, debounce keeps the trailing edge, deadband holds small moves, heartbeat republishes."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from gpiozero import Device

from device_agent.agent import Agent
from device_agent.config import parse_config
from pigw.contract import StateMessage, Topics, decode_state
from tests.agent.support import in_process_agent
from tests.support.broker import Mosquitto
from tests.support.mqtt import Recorder
from tests.support.waiting import async_wait_until

pytestmark = pytest.mark.integration
TOPICS = Topics()

#: The button's debounce window (s), and the quiet time between two of a person's presses: the
#: stimulus of the debounce test, long enough that the next edge counts as a new press.
DEBOUNCE = 0.3
BETWEEN_PRESSES = 2 * DEBOUNCE

BOARD = """
[sensors.button]
kind = "digital"
pin = 17
debounce = 0.3
simulate = { signal = "square", period = 1e9 }

[sensors.wave]
kind = "adc"
channel = 0
interval = 0.05
deadband = 0.3
heartbeat = 1e6
decimals = 3
simulate = { signal = "sine", period = 4, low = 0.0, high = 3.3 }

[sensors.steady]
kind = "adc"
channel = 1
interval = 0.1
deadband = 0.5
heartbeat = 0.5
simulate = { signal = "sine", period = 1e9, low = 1.0, high = 1.0 }
"""


@pytest.fixture
async def watched(broker: Mosquitto, tmp_path: Path) -> AsyncIterator[tuple[Agent, Recorder]]:
    async with in_process_agent(broker, tmp_path, "pol", BOARD, "button") as (agent, _task, watch):
        yield agent, watch


def states_of(watch: Recorder, sensor: str) -> list[StateMessage]:
    return [decode_state(m.payload) for m in watch.on(TOPICS.state("pol", sensor))]


def ts(state: StateMessage) -> float:
    return datetime.fromisoformat(state.ts).timestamp()


async def drive(pin: Any, *levels: bool) -> None:
    """Drive the pin from another thread, back to back, as gpiozero's threads report a bounce."""

    def run() -> None:
        for level in levels:
            if level:
                pin.drive_high()
            else:
                pin.drive_low()

    await asyncio.to_thread(run)


async def test_edges_publish_at_once_and_debounce_keeps_the_trailing_edge(
    watched: tuple[Agent, Recorder],
) -> None:
    _agent, watch = watched
    pin = Device.pin_factory.pin(17)
    pressed, released = False, True  # pull-up: pressing pulls the pin low

    def values() -> list[object]:
        return [s.value for s in states_of(watch, "button")]

    assert parse_config(BOARD).sensors["button"].debounce == DEBOUNCE  # type: ignore[union-attr]
    assert values() == [False]
    # A press that bounces and settles pressed: published at once, the bounce swallowed.
    await drive(pin, pressed, released, pressed)
    await async_wait_until(lambda: values() == [False, True], 30, "the press")
    # The time between a person's presses is the stimulus here, well beyond the debounce window.
    await asyncio.sleep(BETWEEN_PRESSES)
    await drive(pin, released)
    await async_wait_until(lambda: values() == [False, True, False], 30, "the release, at once")
    await asyncio.sleep(BETWEEN_PRESSES)
    # A press released again inside the window: the press at once, the release when it settles.
    await drive(pin, pressed, released)
    await async_wait_until(
        lambda: values() == [False, True, False, True, False], 30, "the trailing edge"
    )
    seqs = [s.seq for s in states_of(watch, "button")]
    assert seqs == sorted(seqs)


async def test_deadband_holds_back_moves_smaller_than_it(watched: tuple[Agent, Recorder]) -> None:
    _agent, watch = watched
    await async_wait_until(lambda: len(states_of(watch, "wave")) >= 8, 30, "8 wave readings")
    values = [float(s.value) for s in states_of(watch, "wave")]
    steps = [abs(b - a) for a, b in itertools.pairwise(values)]
    assert all(step > 0.3 for step in steps), steps


async def test_heartbeat_republishes_an_unchanged_value(watched: tuple[Agent, Recorder]) -> None:
    _agent, watch = watched
    await async_wait_until(lambda: len(states_of(watch, "steady")) >= 3, 30, "3 heartbeats")
    steady = states_of(watch, "steady")
    assert {s.value for s in steady} == {1.0}
    assert [s.seq for s in steady] == sorted({s.seq for s in steady})  # new readings, new seqs
    gaps = [ts(b) - ts(a) for a, b in itertools.pairwise(steady)]
    assert all(gap >= 0.45 for gap in gaps), gaps  # never before the heartbeat is due
