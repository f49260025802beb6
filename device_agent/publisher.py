"""Everything the agent publishes, and the bookkeeping that makes it lossless.

A state message gets its seq from the outbox, is handed to the MQTT client at once (retained,
QoS 1) when connected, and is queued in the outbox in the same loop turn; the PUBACK (``mid``)
marks it delivered. On every (re)connect: status, meta, discovery, per-sensor availability, every
current state (original seq), then the backlog of what the broker never acknowledged, oldest
first, one batch at a time. Replay requests are answered from the outbox on ``backlog``.

The backlog also carries the states the broker acknowledged in the last
:data:`RECENT_ACKED_WINDOW` seconds before the link dropped: a broker that stops or dies right after
a PUBACK may never have forwarded that message, and a consumer that does not ask for replay
(Node-RED, Telegraf, a plain subscriber) would see a seq gap. Consumers drop a repeated
``(device, seq)`` (CONTRACT.md), so the repeat costs nothing but a few bytes.

Runs on the agent's loop only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from device_agent.mqtt import MqttLink
from device_agent.outbox import Outbox
from device_agent.readings import StoredState, build_state
from pigw.contract import (
    MAX_BACKLOG_ENTRIES,
    MAX_REPLAY_SPAN,
    ONLINE,
    AckReply,
    ContractError,
    Topics,
    encode_ack_reply,
    encode_availability,
    join_backlog,
    parse_replay,
)

log = logging.getLogger(__name__)

REPLAY_QUEUE = 8  # replay requests waiting at most; more are dropped (counted)
#: Seconds before the last PUBACK of a link whose acknowledged states are sent again after the
#: reconnect (they may have been acknowledged and never forwarded).
RECENT_ACKED_WINDOW = 2.0
#: Acknowledged states remembered for that, at most (the oldest are forgotten first).
RECENT_ACKED_LIMIT = MAX_BACKLOG_ENTRIES


@dataclass(slots=True)
class _Delivery:
    """One or more MQTT messages that carry ``seqs``; they count as delivered when every
    message's PUBACK arrived."""

    seqs: tuple[int, ...]
    mids: set[int] = field(default_factory=set)
    #: the states themselves, remembered for a while once acknowledged (RECENT_ACKED_WINDOW)
    states: tuple[StoredState, ...] = ()


@dataclass(slots=True)
class Counters:
    states: int = 0
    backlog_messages: int = 0
    replayed_states: int = 0
    replay_refused: int = 0
    replay_dropped: int = 0
    #: acknowledged states sent again in a backlog after a reconnect (RECENT_ACKED_WINDOW)
    recent_resent: int = 0
    publish_refused: int = 0
    #: Messages on the agent's subscriptions it could not place (Agent._dispatch).
    malformed: int = 0


class Publisher:
    def __init__(
        self,
        device_id: str,
        topics: Topics,
        *,
        boot: str,
        outbox: Outbox,
        meta: bytes,
        discovery: tuple[str, bytes] | None,
        sensors: list[str],
    ) -> None:
        self.device_id = device_id
        self.topics = topics
        self.boot = boot
        self.outbox = outbox
        self.meta = meta
        self.discovery = discovery
        self.link: MqttLink | None = None
        self.current: dict[str, StoredState] = {}
        self.availability: dict[str, bool] = dict.fromkeys(sensors, True)
        self.counters = Counters()
        self._deliveries: dict[int, _Delivery] = {}
        self._inflight_seqs: set[int] = set()
        self._backlog_task: asyncio.Task[None] | None = None
        self._batch_done = asyncio.Event()
        self._replays: asyncio.Queue[bytes] = asyncio.Queue(REPLAY_QUEUE)
        self._state_topics: dict[str, str] = {}
        self._generation = 0
        self._recent_acked: deque[tuple[float, StoredState]] = deque(maxlen=RECENT_ACKED_LIMIT)
        self._resend: list[StoredState] = []

    @property
    def online(self) -> bool:
        return self.link is not None and self.link.connected

    # --- states -----------------------------------------------------------------------------
    def state(
        self, point: str, value: bool | float, unit: str | None = None, *, is_sensor: bool
    ) -> int:
        """A new state message for ``point`` (a sensor, or an actuator with ``is_sensor=False``):
        seq, publish (when connected), outbox. Returns seq."""
        seq = self.outbox.allocate()
        stored = build_state(
            point, is_sensor, value, unit, seq=seq, boot=self.boot, now=time.time()
        )
        self.current[point] = stored
        self.counters.states += 1
        if self.online:
            self._send_state(stored)
        self.outbox.append(stored)
        return seq

    def _send_state(self, stored: StoredState) -> None:
        topic = self._state_topics.get(stored.point)
        if topic is None:
            topic = self._state_topics[stored.point] = self.topics.state(
                self.device_id, stored.point
            )
        self._track(self._publish(topic, stored.payload, retain=True), (stored,))

    def set_availability(self, sensor: str, online: bool) -> None:
        self.availability[sensor] = online
        if self.online:
            self._publish(
                self.topics.availability(self.device_id, sensor),
                encode_availability(online),
                retain=True,
            )

    # --- connection events ------------------------------------------------------------------
    def on_connected(self) -> None:
        if self.link is not None and self.link.generation != self._generation:
            # A new paho client (protocol fallback) will never acknowledge the old one's
            # messages: forget them, so that their rows go out with the backlog.
            self._generation = self.link.generation
            self._deliveries.clear()
            self._inflight_seqs.clear()
        self.republish_all()
        self._backlog_task = asyncio.get_running_loop().create_task(
            self._drain_backlog(), name="backlog"
        )

    def on_disconnected(self) -> None:
        self._resend = self._recently_acked()
        if self._backlog_task is not None:
            self._backlog_task.cancel()
            self._backlog_task = None
        self._batch_done.set()

    def republish_all(self) -> None:
        """Status, meta, discovery, availability and every current state (original seqs)."""
        device = self.device_id
        self._publish(self.topics.status(device), ONLINE, retain=True)
        self._publish(self.topics.meta(device), self.meta, retain=True)
        if self.discovery is not None:
            self._publish(self.discovery[0], self.discovery[1], retain=True)
        for sensor, online in self.availability.items():
            self._publish(
                self.topics.availability(device, sensor), encode_availability(online), retain=True
            )
        for stored in self.current.values():
            self._send_state(stored)

    def on_published(self, mid: int, accepted: bool) -> None:
        delivery = self._deliveries.pop(mid, None)
        if delivery is None:
            return
        if not accepted:
            # The broker will never take it (e.g. ACL): resending cannot help; count and move on.
            self.counters.publish_refused += 1
            log.error("the broker refused a publish (mid %d, seqs %s)", mid, delivery.seqs[:3])
        delivery.mids.discard(mid)
        if not delivery.mids:
            if delivery.states:
                now = time.monotonic()
                self._recent_acked.extend((now, stored) for stored in delivery.states)
            self.outbox.mark_acked(delivery.seqs)
            self._inflight_seqs.difference_update(delivery.seqs)
            self._batch_done.set()

    @property
    def inflight(self) -> int:
        return len(self._deliveries)

    # --- backlog and replay ------------------------------------------------------------------
    def _recently_acked(self) -> list[StoredState]:
        """States acknowledged in the last :data:`RECENT_ACKED_WINDOW` seconds of the link (before
        its last PUBACK), oldest first; the memory of them is cleared."""
        recent = self._recent_acked
        if not recent:
            return []
        cut = recent[-1][0] - RECENT_ACKED_WINDOW
        chosen = {stored.seq: stored for acked_at, stored in recent if acked_at >= cut}
        recent.clear()
        return [chosen[seq] for seq in sorted(chosen)]

    async def _drain_backlog(self) -> None:
        """The states acknowledged just before the link dropped, then the unacknowledged ones;
        oldest first, one batch in flight at a time."""
        sent = 0
        while self.online:
            if self._resend:
                # A point's current state was just republished on connect: not twice.
                rows = [row for row in self._resend if self.current.get(row.point) is not row]
                self._resend = []
                self.counters.recent_resent += len(rows)
                if not rows:
                    continue
            else:
                rows = self.outbox.unacknowledged(self._inflight_seqs, MAX_BACKLOG_ENTRIES)
            if not rows:
                break
            delivery = self._send_backlog(rows)
            if delivery is None:
                break
            sent += len(rows)
            while delivery.mids and self.online:
                self._batch_done.clear()
                await self._batch_done.wait()
        if sent:
            log.info("backlog sent: %d states", sent)

    def _send_backlog(self, rows: list[StoredState]) -> _Delivery | None:
        seqs = tuple(row.seq for row in rows)
        delivery = _Delivery(seqs, states=tuple(rows))
        topic = self.topics.backlog(self.device_id)
        for message in join_backlog(row.backlog_item() for row in rows):
            mid = self._publish(topic, message)
            if mid is None:
                return None
            delivery.mids.add(mid)
            self._deliveries[mid] = delivery
            self.counters.backlog_messages += 1
        self._inflight_seqs.update(seqs)
        return delivery

    def replay_request(self, payload: bytes) -> None:
        """Queue a replay request (bounded: beyond :data:`REPLAY_QUEUE` it is dropped)."""
        try:
            self._replays.put_nowait(payload)
        except asyncio.QueueFull:
            self.counters.replay_dropped += 1
            log.warning("replay request dropped: %d already waiting", REPLAY_QUEUE)

    async def serve_replays(self) -> None:
        """Answers replay requests one at a time, for the agent's lifetime."""
        while True:
            payload = await self._replays.get()
            try:
                from_seq, to_seq = parse_replay(payload)
            except ContractError as exc:
                self.counters.replay_refused += 1
                log.warning(
                    "malformed replay request: %s",
                    exc,
                    extra={"topic": self.topics.replay(self.device_id)},
                )
                continue
            rows = self.outbox.between(from_seq, to_seq, MAX_REPLAY_SPAN)
            if rows and self.online:
                topic = self.topics.backlog(self.device_id)
                for message in join_backlog(row.backlog_item() for row in rows):
                    self._publish(topic, message)
                self.counters.replayed_states += len(rows)
            log.info(
                "replay %d..%d: %d states held",
                from_seq,
                to_seq,
                len(rows),
            )

    # --- acks and plain messages ----------------------------------------------------------------
    def ack(
        self,
        actuator: str,
        ack: AckReply,
        response_topic: str | None,
        correlation: bytes | None,
    ) -> None:
        payload = encode_ack_reply(ack)
        self._publish(self.topics.ack(self.device_id, actuator), payload)
        if response_topic and self.link is not None:
            props = self.link.response_properties(correlation)
            self._publish(response_topic, payload, properties=props)

    def offline(self) -> int | None:
        """``offline`` retained on the status topic (before a clean disconnect)."""
        return self._publish(self.topics.status(self.device_id), b"offline", retain=True)

    def _publish(
        self, topic: str, payload: bytes, retain: bool = False, properties: Any = None
    ) -> int | None:
        if self.link is None or not self.link.connected:
            return None
        mid = self.link.publish(topic, payload, retain=retain, properties=properties)
        if mid is None:
            self.counters.publish_refused += 1
        return mid

    def _track(self, mid: int | None, states: tuple[StoredState, ...]) -> None:
        if mid is None:
            return
        seqs = tuple(stored.seq for stored in states)
        self._deliveries[mid] = _Delivery(seqs, {mid}, states)
        self._inflight_seqs.update(seqs)

    def describe(self) -> dict[str, Any]:
        """Counters for the periodic stats log line."""
        return {
            **{name: getattr(self.counters, name) for name in Counters.__slots__},
            "outbox_rows": self.outbox.rows,
            "outbox_unacked": self.outbox.outstanding,
            "outbox_dropped": self.outbox.dropped,
            "outbox_commits": self.outbox.commits,
            "inflight": self.inflight,
        }


def json_bytes(doc: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON for documents the contract does not model (HA discovery)."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
