"""Everything a running gateway is made of, built from the settings and owned by the app's
lifespan: state, hub, MQTT bridge, commands, auth, metrics, and the tasks that drive them.

Two tasks run for the whole life of the gateway and are cancelled and awaited on shutdown: the MQTT
bridge and the housekeeping tick (every 0.5 s: the hub's clock, pings and slow-stream sweep, the
readiness marker's deadline, due replay requests, a changed tokens file).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from gateway.auth import RateLimiter, TokenFileError, TokenStore
from gateway.commands import BrokerUnavailable, Commands
from gateway.hub import Hub
from gateway.intake import Intake
from gateway.metrics import DomainCollector
from gateway.mqtt.bridge import Bridge
from gateway.readiness import Readiness
from gateway.rejections import Rejections
from gateway.settings import GatewaySettings
from gateway.state import GapTracker, Registry
from pigw.contract import ReplayRequest, Topics, encode_model

logger = logging.getLogger("gateway")

TICK = 0.5


class StreamSlots:
    """Counts open streams (SSE + WebSocket) against ``--max-streams``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def acquire(self) -> bool:
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    def release(self) -> None:
        self.used -= 1


@dataclass
class Runtime:
    settings: GatewaySettings
    topics: Topics
    registry: Registry
    gaps: GapTracker
    hub: Hub
    readiness: Readiness
    commands: Commands
    rejections: Rejections
    intake: Intake
    bridge: Bridge
    tokens: TokenStore | None
    limiter: RateLimiter
    slots: StreamSlots
    metrics_registry: CollectorRegistry
    refusals: dict[str, int] = field(default_factory=dict)
    replays_sent: int = 0
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def refuse(self, reason: str) -> None:
        """Count an HTTP request refused by a limit (metric ``requests_refused``)."""
        self.refusals[reason] = self.refusals.get(reason, 0) + 1

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self.bridge.run(), name="pigw-mqtt-bridge"))
        self._tasks.append(asyncio.create_task(self._housekeeping(), name="pigw-housekeeping"))

    async def stop(self) -> None:
        """End every stream, then cancel and await every task (the bridge says ``offline``)."""
        self.hub.close_all("shutdown")
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(TICK)  # poll: the one periodic tick of the gateway
            now = time.monotonic()
            self.hub.tick(now)
            self.readiness.tick(now)
            for device, low, high in self.gaps.due(now):
                await self._request_replay(device, low, high)
            if self.tokens is not None:
                try:
                    if self.tokens.reload():
                        logger.info("tokens file re-read", extra={"tokens": len(self.tokens)})
                except (OSError, TokenFileError) as exc:
                    logger.warning("tokens file not re-read, keeping the old tokens: %s", exc)

    async def _request_replay(self, device: str, low: int, high: int) -> None:
        payload = encode_model(ReplayRequest(from_seq=low, to_seq=high))
        try:
            async with asyncio.timeout(5):
                await self.bridge.publish(self.topics.replay(device), payload)
        except (BrokerUnavailable, TimeoutError):
            return
        self.replays_sent += 1
        logger.info("asked for a replay", extra={"device": device, "from_seq": low, "to_seq": high})


def new_epoch(now: float | None = None) -> str:
    """The event-id epoch of this gateway run: start time in ms (hex) plus 16 random bits.

    Two replicas started in the same millisecond must still differ, or a client moved between
    them would resume at the wrong place instead of getting ``reset`` (docs/scale-out.md)."""
    millis = int((time.time() if now is None else now) * 1000)
    return format(millis, "x") + secrets.token_hex(2)


def build_runtime(settings: GatewaySettings, metrics_registry: CollectorRegistry) -> Runtime:
    """Wire the parts together. Call inside the running loop (the lifespan)."""
    topics = Topics(settings.topic_prefix, settings.discovery_prefix)
    registry = Registry(settings.history_size)
    gaps = GapTracker(
        delay=settings.replay_delay, retry=settings.replay_retry, attempts=settings.replay_attempts
    )
    epoch = new_epoch()
    hub = Hub(
        epoch=epoch,
        snapshot_source=lambda devices: registry.snapshot_json(time.time(), devices),
        max_events=settings.ring_events,
        max_bytes=settings.ring_bytes,
        ping_interval=settings.ping_interval,
        slow_timeout=settings.slow_stream_timeout,
        retry_ms=settings.retry_ms,
    )
    hub.now = time.monotonic()
    readiness = Readiness()
    bridge_ref: list[Bridge] = []

    async def publish(topic: str, payload: bytes) -> None:
        await bridge_ref[0].publish(topic, payload)

    commands = Commands(registry, topics, publish, timeout=settings.command_timeout)
    rejections = Rejections(logging.getLogger("gateway.intake"))
    intake = Intake(
        topics=topics,
        registry=registry,
        gaps=gaps,
        hub=hub,
        commands=commands,
        rejections=rejections,
    )
    bridge = Bridge(settings, topics, readiness, intake.handle, intake.broker)
    bridge_ref.append(bridge)
    tokens = TokenStore(settings.tokens_file) if settings.tokens_file is not None else None
    runtime = Runtime(
        settings=settings,
        topics=topics,
        registry=registry,
        gaps=gaps,
        hub=hub,
        readiness=readiness,
        commands=commands,
        rejections=rejections,
        intake=intake,
        bridge=bridge,
        tokens=tokens,
        limiter=RateLimiter(settings.command_rate, settings.command_burst),
        slots=StreamSlots(settings.max_streams),
        metrics_registry=metrics_registry,
    )
    runtime.metrics_registry.register(DomainCollector(runtime))
    return runtime
