"""The gateway's Home Assistant discovery (issue 17, item 4): from validated meta, retained."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest

from device_agent.agent import build_meta
from device_agent.demo_board import demo_board
from device_agent.discovery import discovery_payload
from gateway.core.homeassistant import HomeAssistantDiscovery
from gateway.mqtt.bridge import BrokerUnavailable
from pigw.contract import Topics
from pigw.contract.discovery import discovery_document
from tests.gateway.support import meta

T = Topics()


async def test_a_device_meta_becomes_discovery_with_only_its_own_topics_and_removal_clears_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("gateway.core.homeassistant.RETRY", 0.05)
    published: list[tuple[str, bytes]] = []
    arrived = asyncio.Event()
    failures = [BrokerUnavailable()]  # the first attempt finds the broker away

    async def publish(topic: str, payload: bytes) -> None:
        if failures:
            raise failures.pop()
        published.append((topic, payload))
        arrived.set()

    discovery = HomeAssistantDiscovery(T, publish, "9.9")
    task = asyncio.create_task(discovery.run())
    try:
        discovery.meta_changed("d1", meta("d1"))
        discovery.meta_changed("d1", meta("d1", boot="b2"))  # the newest wins
        async with asyncio.timeout(15):
            await arrived.wait()
        arrived.clear()
        topic, payload = published[0]
        assert topic == T.discovery("d1")
        document = json.loads(payload)
        topics = [v for c in document["components"].values() for k, v in c.items() if "topic" in k]
        assert topics and all(t.startswith("pigw/d1/") for t in topics)
        assert document["components"]["relay1"]["command_topic"] == "pigw/d1/relay1/set"
        discovery.meta_changed("d1", None)
        async with asyncio.timeout(5):
            await arrived.wait()
        assert published[1] == (T.discovery("d1"), b"")
        assert (discovery.stats.published, discovery.stats.failed) == (2, 1)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_the_gateway_announces_a_device_exactly_as_its_agent_would() -> None:
    # The gateway's document (from the meta) and the agent's (from its board) must not drift:
    # switching a setup to --ha-discovery must not change a single entity in Home Assistant.
    board = demo_board()
    from_agent = discovery_payload(board, "sim-pi", T, "0.1.0")
    from_gateway = discovery_document(build_meta(board, "sim-pi", "b1"), T, "0.1.0")
    assert from_gateway["components"] == from_agent["components"]
    assert from_gateway["device"]["identifiers"] == from_agent["device"]["identifiers"]
    assert from_gateway["device"]["name"] == from_agent["device"]["name"]
