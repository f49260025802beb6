"""Helpers for the agent's integration tests: run the real ``pigw-agent`` CLI against the test
broker and read what it publishes through the contract module."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from device_agent.agent import Agent
from device_agent.config import parse_config
from device_agent.settings import AgentSettings
from pigw.contract import Topics, decode_backlog, decode_state
from tests.support.broker import Mosquitto
from tests.support.mqtt import Received, Recorder
from tests.support.processes import ManagedProcess, venv_command
from tests.support.waiting import async_wait_until

TOPICS = Topics()

#: A small board whose signals change quickly, for tests (periods of a second or two).
FAST_BOARD = """
[device]
name = "Test board"

[sensors.door]
kind = "digital"
pin = 17
debounce = 0
simulate = { signal = "square", period = 0.4 }

[sensors.level]
kind = "adc"
channel = 0
interval = 0.2
deadband = 0.0
decimals = 3
simulate = { signal = "sine", period = 5, low = 0.5, high = 2.5 }

[actuators.relay1]
kind = "relay"
pin = 5
active_high = false

[actuators.led1]
kind = "led"
pin = 6

[actuators.pwm1]
kind = "pwm_led"
pin = 12
"""


def write_config(folder: Path, text: str, name: str = "board.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def agent_process(
    broker: Mosquitto | str,
    folder: Path,
    device_id: str,
    *,
    config: Path | None = None,
    extra: Sequence[str] = (),
    outbox: Path | None = None,
) -> ManagedProcess:
    """A simulated ``pigw-agent`` (not started yet) with its outbox and log in ``folder``, talking
    to ``broker`` (or to the broker URL given)."""
    argv = [
        venv_command("pigw-agent"),
        "--simulate",
        "--mqtt-url",
        broker if isinstance(broker, str) else broker.url,
        "--device-id",
        device_id,
        "--outbox",
        str(outbox or folder / f"outbox-{device_id}.sqlite"),
        "--mqtt-backoff-min",
        "0.2",
        "--mqtt-backoff-max",
        "2",
        *(["--config", str(config)] if config else []),
        *extra,
    ]
    return ManagedProcess(argv, folder / f"agent-{device_id}.log")


@asynccontextmanager
async def in_process_agent(
    broker: Mosquitto, folder: Path, device: str, board: str, first_state: str
) -> AsyncIterator[tuple[Agent, asyncio.Task[int], Recorder]]:
    """The simulated agent on ``board`` in this event loop, once it has published the state of
    ``first_state``, with a recorder on its topics; stopped afterwards unless the test ended it."""
    watch = Recorder(broker.host, broker.port)
    watch.subscribe(f"pigw/{device}/#")
    settings = AgentSettings(mqtt_url=broker.url, simulate=True, mqtt_backoff_min=0.2)
    agent = Agent(settings, parse_config(board), device, folder / "outbox.sqlite")
    task = asyncio.create_task(agent.run())
    try:
        await async_wait_until(
            lambda: watch.on(TOPICS.state(device, first_state)), 30, f"the state of {first_state}"
        )
        yield agent, task, watch
    finally:
        if not task.done():
            agent.request_stop()
            assert await asyncio.wait_for(task, 30) == 0
        watch.close()


@contextmanager
def running(process: ManagedProcess) -> Iterator[ManagedProcess]:
    process.start()
    try:
        yield process
    finally:
        if process.running:
            process.stop(20)
        print(f"--- {process.log_path.name} ---\n{process.tail()}")


def states(received: list[Received]) -> list[dict[str, Any]]:
    """Decoded state messages (any point), in arrival order."""
    return [decode_state(m.payload).model_dump() for m in received]


def seqs_on(recorder: Recorder, device: str) -> list[int]:
    """Every seq seen on the device's state topics and in its backlog, in arrival order."""
    found: list[int] = []
    prefix = f"pigw/{device}/"
    for message in list(recorder.messages):
        if not message.topic.startswith(prefix):
            continue
        if message.topic.endswith("/state"):
            found.append(decode_state(message.payload).seq)
        elif message.topic == TOPICS.backlog(device):
            found.extend(entry.seq for entry in decode_backlog(message.payload))
    return found


def json_payload(message: Received) -> Any:
    return json.loads(message.payload)
