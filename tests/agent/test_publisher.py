"""The publisher's bookkeeping without a socket: which message carries which seqs, when a seq counts
as delivered, what a reconnect republishes and what the backlog sends. A fake link records the
publishes and hands out message ids; a fake outbox keeps rows in a dict (both in this file)."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest

from device_agent.actuation import make_ack
from device_agent.publisher import REPLAY_QUEUE, Publisher
from device_agent.readings import StoredState
from pigw.contract import ONLINE, AckStatus, Topics, decode_backlog, decode_state

TOPICS = Topics()
DEV = "pub"


@dataclass
class Sent:
    topic: str
    payload: bytes
    retain: bool
    properties: Any
    mid: int


@dataclass
class FakeLink:
    """What the publisher uses of :class:`MqttLink`: connected, generation, publish."""

    connected: bool = False
    generation: int = 1
    refuse: bool = False
    sent: list[Sent] = field(default_factory=list)
    _mids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def publish(
        self, topic: str, payload: bytes, retain: bool = False, properties: Any = None
    ) -> int | None:
        if self.refuse:
            return None
        mid = next(self._mids)
        self.sent.append(Sent(topic, payload, retain, properties, mid))
        return mid

    @staticmethod
    def response_properties(correlation: bytes | None) -> Any:
        return {"correlation": correlation}

    def on(self, topic: str) -> list[Sent]:
        return [s for s in self.sent if s.topic == topic]


class FakeOutbox:
    """Rows by seq with an acked flag: the part of :class:`Outbox` the publisher calls."""

    def __init__(self) -> None:
        self.stored: dict[int, StoredState] = {}
        self.acked: set[int] = set()
        self._next = 0
        self.dropped = 0
        self.commits = 0

    def allocate(self) -> int:
        self._next += 1
        return self._next

    def append(self, state: StoredState) -> None:
        self.stored[state.seq] = state

    def mark_acked(self, seqs: Any) -> None:
        self.acked.update(seqs)

    def unacknowledged(self, exclude: set[int], limit: int) -> list[StoredState]:
        rows = [r for s, r in sorted(self.stored.items()) if s not in self.acked | exclude]
        return rows[:limit]

    def between(self, first: int, last: int, limit: int) -> list[StoredState]:
        return [r for s, r in sorted(self.stored.items()) if first <= s <= last][:limit]

    @property
    def rows(self) -> int:
        return len(self.stored)

    @property
    def outstanding(self) -> int:
        return len(self.stored.keys() - self.acked)


@pytest.fixture
def outbox() -> FakeOutbox:
    return FakeOutbox()


@pytest.fixture
def link() -> FakeLink:
    return FakeLink()


@pytest.fixture
def publisher(outbox: FakeOutbox, link: FakeLink) -> Publisher:
    made = Publisher(
        DEV,
        TOPICS,
        boot="b1",
        outbox=outbox,  # type: ignore[arg-type]
        meta=b'{"meta": 1}',
        discovery=("homeassistant/device/pub/config", b"{}"),
        sensors=["t"],
    )
    made.link = link  # type: ignore[assignment]
    return made


async def connect(publisher: Publisher, link: FakeLink) -> None:
    link.connected = True
    publisher.on_connected()
    await asyncio.sleep(0)  # poll: one yield, so the backlog task takes its first batch


def test_a_state_while_offline_waits_in_the_outbox_only(
    publisher: Publisher, outbox: FakeOutbox, link: FakeLink
) -> None:
    seq = publisher.state("t", 20.5, "°C", is_sensor=True)
    assert link.sent == []
    assert outbox.stored[seq].point == "t"
    assert outbox.outstanding == 1
    assert publisher.counters.states == 1


async def test_a_state_while_online_is_retained_and_delivered_by_its_puback(
    publisher: Publisher, outbox: FakeOutbox, link: FakeLink
) -> None:
    await connect(publisher, link)
    seq = publisher.state("relay1", True, is_sensor=False)
    (sent,) = link.on(TOPICS.state(DEV, "relay1"))
    assert sent.retain
    assert decode_state(sent.payload).seq == seq
    assert publisher.inflight >= 1 and seq not in outbox.acked
    publisher.on_published(sent.mid, True)
    assert seq in outbox.acked


async def test_a_reconnect_republishes_everything_then_sends_the_backlog_oldest_first(
    publisher: Publisher, outbox: FakeOutbox, link: FakeLink
) -> None:
    first = publisher.state("t", 1.0, is_sensor=True)
    second = publisher.state("t", 2.0, is_sensor=True)
    await connect(publisher, link)
    topics = [s.topic for s in link.sent]
    assert topics[:4] == [
        TOPICS.status(DEV),
        TOPICS.meta(DEV),
        "homeassistant/device/pub/config",
        TOPICS.availability(DEV, "t"),
    ]
    assert link.on(TOPICS.status(DEV))[0].payload == ONLINE
    # The current state goes out with its original seq, not a new one.
    assert [decode_state(s.payload).seq for s in link.on(TOPICS.state(DEV, "t"))] == [second]
    # The backlog holds what the broker never acknowledged, except what is already in flight.
    (batch,) = link.on(TOPICS.backlog(DEV))
    assert [entry.seq for entry in decode_backlog(batch.payload)] == [first]
    publisher.on_published(batch.mid, True)
    assert first in outbox.acked
    publisher.on_disconnected()


async def test_a_refused_puback_is_counted_and_not_resent(
    publisher: Publisher, outbox: FakeOutbox, link: FakeLink
) -> None:
    await connect(publisher, link)
    seq = publisher.state("t", 3.0, is_sensor=True)
    sent = link.on(TOPICS.state(DEV, "t"))[-1]
    publisher.on_published(sent.mid, False)
    assert publisher.counters.publish_refused == 1
    assert seq in outbox.acked  # resending cannot help (e.g. an ACL): it is not retried forever


async def test_a_new_client_generation_forgets_the_old_clients_message_ids(
    publisher: Publisher, outbox: FakeOutbox, link: FakeLink
) -> None:
    await connect(publisher, link)
    seq = publisher.state("t", 4.0, is_sensor=True)
    old_mid = link.on(TOPICS.state(DEV, "t"))[-1].mid
    publisher.on_disconnected()
    link.generation += 1  # the protocol fallback made a new paho client
    link.sent.clear()
    await connect(publisher, link)
    publisher.on_published(old_mid, True)  # a stale id means nothing now
    assert seq not in outbox.acked
    publisher.on_disconnected()


def test_acks_go_to_the_ack_topic_and_the_response_topic_with_correlation(
    publisher: Publisher, link: FakeLink
) -> None:
    link.connected = True
    ack = make_ack("c1", AckStatus.OK, True, None)  # the agent's own ack type
    publisher.ack("relay1", ack, "reply/me", b"corr")
    assert len(link.on(TOPICS.ack(DEV, "relay1"))) == 1
    (reply,) = link.on("reply/me")
    assert reply.properties == {"correlation": b"corr"}
    assert not reply.retain


def test_a_publish_paho_refuses_is_counted(publisher: Publisher, link: FakeLink) -> None:
    link.connected = True
    link.refuse = True
    publisher.state("t", 5.0, is_sensor=True)
    assert publisher.counters.publish_refused == 1
    assert publisher.inflight == 0


async def test_replay_requests_beyond_the_queue_are_dropped_and_counted(
    publisher: Publisher,
) -> None:
    for _ in range(REPLAY_QUEUE + 3):
        publisher.replay_request(b'{"from_seq": 1, "to_seq": 2}')
    assert publisher.counters.replay_dropped == 3
