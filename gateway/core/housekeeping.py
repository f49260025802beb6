"""The gateway's one periodic task: every :data:`TICK` seconds advance the hub's clock (pings, the
slow-stream sweep), the readiness marker's deadline, send due replay requests, re-read a changed
tokens file (every ``--tokens-reload`` seconds). Started and cancelled by the lifespan (:func:`gateway.runtime.running`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from gateway.auth import SessionStore, TokenStore
from gateway.core.readiness import BrokerReadiness
from gateway.hub import Hub, StreamSlots
from gateway.mqtt.bridge import Bridge, BrokerUnavailable
from gateway.state import GapTracker
from pigw.contract import ReplayRequest, Topics, encode_model

logger = logging.getLogger("gateway")

TICK = 0.5


class Housekeeping:
    """The tick, and the count of replay requests it sent (metric ``replay_requests``)."""

    def __init__(
        self,
        *,
        on_tick: Sequence[Callable[[], None]] = (),
        hub: Hub,
        readiness: BrokerReadiness,
        gaps: GapTracker,
        bridge: Bridge,
        topics: Topics,
        tokens: TokenStore | None,
        sessions: SessionStore,
        tokens_reload: float,
        slots: StreamSlots,
    ) -> None:
        self.hub = hub
        #: Called on every tick too: the alerts' timers (``for``) and stale checks.
        self.on_tick = tuple(on_tick)
        self.readiness = readiness
        self.gaps = gaps
        self.bridge = bridge
        self.topics = topics
        self.tokens = tokens
        self.sessions = sessions
        self.tokens_reload = tokens_reload
        self._tokens_due = 0.0
        self.slots = slots
        self._checked = (0, 0)  # (tokens, sessions) generations the open streams were checked at
        self.replays_sent = 0

    async def run(self) -> None:
        while True:
            await asyncio.sleep(TICK)  # poll: the one periodic tick of the gateway
            now = time.monotonic()
            self.hub.tick(now)
            self.readiness.tick(now)
            for tick in self.on_tick:  # the alerts: fire what has held long enough
                tick()
            # Plan replays only while connected: a request that cannot be sent must not use up
            # one of the gap's attempts (after a reconnect every open gap is re-armed anyway).
            if self.bridge.connected:
                for device, low, high in self.gaps.due(now):
                    await self._request_replay(device, low, high)
            if self.tokens is not None and now >= self._tokens_due:
                self._tokens_due = now + self.tokens_reload
                self.reload_tokens()
            self.revoke_streams()

    def revoke_streams(self) -> None:
        """After the tokens or the sessions changed, end the open streams whose credential went
        (SSE ends, WebSocket closes 1008)."""
        tokens = self.tokens
        if tokens is None:
            return
        generations = (tokens.generation, self.sessions.generation)
        if generations == self._checked:
            return
        self._checked = generations
        ended = self.slots.revoke(self.hub)
        if ended:
            logger.warning("ended streams whose token or session went", extra={"streams": ended})

    def reload_tokens(self) -> None:
        """Re-read a changed tokens file (every ``--tokens-reload`` s); the sessions whose token
        went, or changed role, end (issue 17)."""
        tokens = self.tokens
        if tokens is None or not tokens.reload():
            return
        revoked = self.sessions.prune(tokens.still_valid)
        logger.info("tokens file re-read", extra={"tokens": len(tokens), "sessions_ended": revoked})

    async def _request_replay(self, device: str, low: int, high: int) -> None:
        payload = encode_model(ReplayRequest(from_seq=low, to_seq=high))
        try:
            async with asyncio.timeout(5):
                await self.bridge.publish(self.topics.replay(device), payload)
        except (BrokerUnavailable, TimeoutError):
            return
        self.replays_sent += 1
        logger.info("asked for a replay", extra={"device": device, "from_seq": low, "to_seq": high})
