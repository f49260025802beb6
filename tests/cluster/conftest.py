"""The cluster tier: a real three-node NATS cluster (JetStream + MQTT listener) per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.nats import NatsCluster
from tests.support.postgres import postgres_server, postgres_url

__all__ = ["nats_cluster", "postgres_server", "postgres_url"]


@pytest.fixture
def nats_cluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[NatsCluster]:
    """Three NATS nodes with routes to each other, JetStream in ``tmp_path``, MQTT on loopback."""
    cluster = NatsCluster(tmp_path / "nats").start()
    try:
        yield cluster
    finally:
        cluster.stop()
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            print(f"--- nats logs ---\n{cluster.tails()}")
