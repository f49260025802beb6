"""Fixtures for the gateway's integration tests: a real Mosquitto, a real ``pigw-gateway``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.gateway.support import Gateway
from tests.support.broker import Mosquitto
from tests.support.mqtt import Recorder


@pytest.fixture
def mqtt(broker: Mosquitto) -> Iterator[Recorder]:
    """A paho client on the test broker, playing the agents."""
    client = Recorder(broker.host, broker.port)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def start_gateway(
    broker: Mosquitto, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Gateway]]:
    """Start ``pigw-gateway`` against the test broker (extra CLI args as arguments)."""
    started: list[Gateway] = []

    def start(*args: str, ready: bool = True, gateway_id: str = "test") -> Gateway:
        gateway = Gateway(tmp_path / "gateway", broker.url, *args, gateway_id=gateway_id)
        started.append(gateway)
        return gateway.start(ready=ready)

    yield start
    for gateway in started:
        gateway.stop()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(f"--- gateway log ---\n{gateway.process.tail(80)}")
