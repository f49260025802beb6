"""An agent whose outbox stops working (a full disk, a dying SD card) must not go on looking
online while it keeps nothing: it shuts down safely and exits with an error, so that systemd
restarts it and the device shows offline meanwhile. In-process, with the failure injected into the
real outbox, against the real broker."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from device_agent.agent import Agent
from device_agent.outbox import Outbox, OutboxError
from pigw.contract import decode_state
from tests.agent import support
from tests.agent.support import FAST_BOARD, TOPICS
from tests.support.broker import Mosquitto
from tests.support.mqtt import Recorder
from tests.support.waiting import async_wait_until

pytestmark = pytest.mark.integration


def in_process_agent(
    broker: Mosquitto, folder: Path, device: str
) -> AbstractAsyncContextManager[tuple[Agent, asyncio.Task[int], Recorder]]:
    """The agent on FAST_BOARD in this event loop, once it has published a reading."""
    return support.in_process_agent(broker, folder, device, FAST_BOARD, "level")


async def test_an_outbox_that_cannot_commit_stops_the_agent_with_an_error(
    broker: Mosquitto,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with in_process_agent(broker, tmp_path, "full") as (_agent, task, watch):
        watch.publish(TOPICS.command("full", "relay1"), b"ON")
        await async_wait_until(
            lambda: any(decode_state(m.payload).value is True
                        for m in watch.on(TOPICS.state("full", "relay1"))),
            30, "relay1 on",
        )  # fmt: skip

        def full_disk(self: Outbox) -> int:
            raise OutboxError("outbox commit failed: database or disk is full")

        monkeypatch.setattr(Outbox, "commit", full_disk)
        with caplog.at_level(logging.ERROR, logger="device_agent"):
            assert await asyncio.wait_for(task, 30) == 1
        assert "outbox-commit task ended unexpectedly" in caplog.text
        assert "disk is full" in caplog.text
        statuses = [m.payload for m in watch.on(TOPICS.status("full"))]
        assert statuses[-1] == b"offline"
        relay = [decode_state(m.payload).value for m in watch.on(TOPICS.state("full", "relay1"))]
        assert relay[-1] is False  # its safe state, and said so


async def test_a_message_the_agent_cannot_place_is_counted_and_logged(
    broker: Mosquitto, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with in_process_agent(broker, tmp_path, "odd") as (agent, _task, watch):
        with caplog.at_level(logging.WARNING, logger="device_agent"):
            # Matches the agent's command subscription, but "Relay 1" is no point id.
            watch.publish("pigw/odd/Relay 1/set", b"ON")
            await async_wait_until(
                lambda: agent.publisher.counters.malformed == 1, 30, "the message counted"
            )
        assert "ignored message" in caplog.text
        assert agent.publisher.describe()["malformed"] == 1
