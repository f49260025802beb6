"""Broker failover (issue 19) on two Mosquittos standing in for two nodes: the gateway's first URL
is the test broker; when it dies the gateway connects to the next URL, becomes ready there and
streams what is published on it. The real cluster scenario is in ``tests/cluster/``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.gateway.support import Gateway, announce
from tests.support.broker import Mosquitto
from tests.support.mqtt import Recorder
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def test_gateway_moves_to_the_next_url_when_its_broker_dies(
    start_gateway: Callable[..., Gateway], broker: Mosquitto, tmp_path: Path
) -> None:
    second = Mosquitto(tmp_path / "second").start()
    try:
        gateway = start_gateway("--mqtt-url", second.url)
        assert f"connected to the broker mqtt='{broker.url}'" in gateway.process.output()
        broker.kill()
        wait_until(
            lambda: f"connected to the broker mqtt='{second.url}'" in gateway.process.output(),
            30,
            "the gateway on the second URL",
        )
        gateway.wait_ready(30)
        publisher = Recorder(second.host, second.port)
        try:
            announce(publisher, "fo-dev")
            wait_until(
                lambda: gateway.get("/api/devices/fo-dev").status_code == 200,
                30,
                "the device published on the second node",
            )
        finally:
            publisher.close()
    finally:
        second.process.stop()
