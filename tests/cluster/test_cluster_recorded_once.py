"""Two gateway replicas on a NATS cluster share one PostgreSQL recorder (issue 19 with the recorder
of CONTRACT v3): through the failover scenario (``scenario.py``: the replica's node and the
agent's node SIGKILLed), every reading the agent made is recorded, and recorded once — the store is
keyed by ``(device, seq)``, whichever replica or replay brings a reading."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.scenario import run_failover
from tests.reliability.rig import DEVICE, System
from tests.support.nats import NatsCluster
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def system(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[System]:
    started = System(tmp_path)
    try:
        yield started
    finally:
        failed = getattr(request.node, "rep_call", None)
        started.close(failed is not None and failed.failed)


def test_two_replicas_record_every_reading_once_across_node_kills(
    nats_cluster: NatsCluster, system: System, postgres_url: str
) -> None:
    outcome = run_failover(nats_cluster, system, ("--history-url", postgres_url))
    expected = outcome.expected

    def coverage(index: int) -> dict[str, object]:
        answer = outcome.replicas[index].get(f"/api/devices/{DEVICE}/coverage")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def holds_all(index: int) -> bool:
        cov = coverage(index)
        return bool(
            cov["first_seq"] is not None
            and int(str(cov["first_seq"])) <= min(expected)
            and int(str(cov["last_seq"])) >= max(expected)
        )

    wait_until(lambda: holds_all(0) and holds_all(1), 60, "the store to hold every seq")
    for index in (0, 1):
        cov = coverage(index)
        # One shared store: both replicas answer alike; every seq once, none missing.
        span = int(str(cov["last_seq"])) - int(str(cov["first_seq"])) + 1
        assert cov["recorded"] == span and cov["missing"] == [], cov
        assert span >= len(expected)
