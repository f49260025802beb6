"""Everything a running gateway is made of, built from the settings: a plain container the
lifespan owns (:func:`build_runtime` wires the parts, :func:`running` runs their two tasks).

Two tasks run for the whole life of the gateway and are cancelled and awaited on shutdown: the MQTT
bridge and the housekeeping tick (:mod:`gateway.core.housekeeping`); with a history store, a third, the
recorder's writer (:mod:`gateway.recorder.recorder`), starts first (the bridge waits, bounded, for
the store to say what it holds, so gap filling after a restart starts from it) and stops last
(after a bounded drain of its queue). The metrics collector is not a part
of the runtime: the lifespan registers it (``gateway/app.py``) with the parts whose counters it
reads, so metrics never reach through the runtime (and neither module imports the other).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from gateway.alerts.service import Alerting
from gateway.alerts.store_url import alert_store_for
from gateway.auth import RateLimiter, SessionStore, TokenStore
from gateway.auth.sessions import SESSION_MAX_AGE
from gateway.core.commands import Commands
from gateway.core.homeassistant import HomeAssistantDiscovery
from gateway.core.housekeeping import Housekeeping
from gateway.core.intake import Intake
from gateway.core.readiness import BrokerReadiness
from gateway.core.refusals import Refusals
from gateway.core.rejections import Rejections
from gateway.hub import Hub, StreamSlots
from gateway.hub.encoding import dumps
from gateway.mqtt.bridge import Bridge, BrokerUnavailable
from gateway.recorder.audit import AuditTrail
from gateway.recorder.factory import build_recorder, retention_limits
from gateway.recorder.queries import HistoryQueries
from gateway.recorder.recorder import Recorder
from gateway.settings import GatewaySettings
from gateway.state import GapTracker, Registry
from pigw import __version__
from pigw.contract import Topics

logger = logging.getLogger("gateway")

#: How long start-up waits for the history store before the bridge subscribes (then it goes on
#: without; the recorder keeps trying), and how long shutdown waits for its queue to be written.
RECORDER_OPEN_WAIT = 5.0
RECORDER_DRAIN_WAIT = 5.0


@dataclass(frozen=True, slots=True)
class Runtime:
    """The parts of one running gateway (no behaviour of its own)."""

    settings: GatewaySettings
    topics: Topics
    registry: Registry
    gaps: GapTracker
    hub: Hub
    readiness: BrokerReadiness
    commands: Commands
    rejections: Rejections
    intake: Intake
    bridge: Bridge
    tokens: TokenStore | None
    sessions: SessionStore
    limiter: RateLimiter
    slots: StreamSlots
    refusals: Refusals
    housekeeping: Housekeeping
    metrics_registry: CollectorRegistry
    alerting: Alerting
    recorder: Recorder | None
    audit: AuditTrail
    history: HistoryQueries
    #: Home Assistant discovery from the gateway (``--ha-discovery``), else ``None``.
    discovery: HomeAssistantDiscovery | None


@contextlib.asynccontextmanager
async def running(runtime: Runtime) -> AsyncIterator[Runtime]:
    """Run the bridge and the housekeeping tick; on the way out end every stream, then cancel and
    await both tasks (the bridge says ``offline``). The alerts open their store and take back their
    state before the bridge delivers the first retained message, and close last; the recorder's
    writer starts before both (the bridge waits, bounded, for the store) and stops after them."""
    recorder = runtime.recorder
    writer = None
    if recorder is not None:
        writer = asyncio.create_task(recorder.run(), name="pigw-recorder")
        if not await recorder.wait_open(RECORDER_OPEN_WAIT):
            logger.warning(
                "history store not open after %.0fs: starting without it (it keeps trying)",
                RECORDER_OPEN_WAIT,
            )
    await runtime.alerting.start()
    tasks = [
        asyncio.create_task(runtime.bridge.run(), name="pigw-mqtt-bridge"),
        asyncio.create_task(runtime.housekeeping.run(), name="pigw-housekeeping"),
    ]
    if runtime.discovery is not None:
        tasks.append(asyncio.create_task(runtime.discovery.run(), name="pigw-ha-discovery"))
    try:
        yield runtime
    finally:
        runtime.hub.close_all("shutdown")
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await runtime.alerting.stop()
        if recorder is not None and writer is not None:
            await recorder.drain(RECORDER_DRAIN_WAIT)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer


def new_epoch(now: float | None = None) -> str:
    """The event-id epoch of this gateway run: start time in ms (hex) plus 16 random bits.

    Two replicas started in the same millisecond must still differ, or a client moved between
    them would resume at the wrong place instead of getting ``reset`` (docs/scale-out.md)."""
    millis = int((time.time() if now is None else now) * 1000)
    return format(millis, "x") + secrets.token_hex(2)


def build_runtime(settings: GatewaySettings, metrics_registry: CollectorRegistry) -> Runtime:
    """Wire the parts together. Call inside the running loop (the lifespan)."""
    topics = Topics(settings.topic_prefix, settings.discovery_prefix)
    registry = Registry(settings.history_size, settings.history_budget)
    gaps = GapTracker(
        delay=settings.replay_delay, retry=settings.replay_retry, attempts=settings.replay_attempts
    )
    alerting_ref: list[Alerting] = []

    def snapshot(devices: frozenset[str] | None) -> str:
        # CONTRACT.md v3: the snapshot also carries the alerts now pending or firing.
        return dumps(
            {
                "devices": registry.devices_doc(time.time(), devices),
                "alerts": alerting_ref[0].active_docs(devices),
            }
        )

    hub = Hub(
        epoch=new_epoch(),
        snapshot_source=snapshot,
        max_events=settings.ring_events,
        max_bytes=settings.ring_bytes,
        ping_interval=settings.ping_interval,
        slow_timeout=settings.slow_stream_timeout,
        retry_ms=settings.retry_ms,
    )
    hub.now = time.monotonic()
    readiness = BrokerReadiness()

    async def publish(topic: str, payload: bytes) -> bool:
        # The MQTT edge's error becomes the core's answer here, at the seam (``bridge`` is
        # assigned below: the bridge hands messages to the intake, which needs the commands).
        try:
            await bridge.publish(topic, payload)
        except BrokerUnavailable:
            return False
        return True

    recorder = build_recorder(settings, gaps)
    audit = AuditTrail(recorder)

    async def publish_retained(topic: str, payload: bytes) -> None:
        await bridge.publish(topic, payload, retain=True)

    alerting = Alerting(
        rules_path=settings.alerts_file,
        # The alerts live in the recorder's database (CONTRACT.md v3): --history-url.
        store=alert_store_for(settings.resolved_history_url),
        topics=topics,
        gateway_id=settings.resolved_gateway_id,
        publish_event=hub.publish,
        publish_retained=publish_retained,
        devices=lambda: list(registry.devices),
        freshness=registry.freshness,
        retry_s=settings.alert_retry_s,
    )
    alerting_ref.append(alerting)
    commands = Commands(registry, topics, publish, timeout=settings.command_timeout, audit=audit)
    discovery = (
        HomeAssistantDiscovery(topics, publish_retained, __version__)
        if settings.ha_discovery
        else None
    )
    rejections = Rejections(logging.getLogger("gateway.core.intake"))
    intake = Intake(
        topics=topics,
        registry=registry,
        gaps=gaps,
        hub=hub,
        commands=commands,
        rejections=rejections,
        history=recorder,
        listeners=(alerting,),
        meta_changed=None if discovery is None else discovery.meta_changed,
    )
    limits = retention_limits(settings)
    bridge = Bridge(settings, topics, readiness, intake.handle, intake.broker)
    tokens = TokenStore(settings.tokens_file) if settings.tokens_file is not None else None
    sessions = SessionStore(limit=settings.max_sessions, max_age=SESSION_MAX_AGE)
    slots = StreamSlots(settings.max_streams, settings.max_streams_per_token)
    return Runtime(
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
        sessions=sessions,
        limiter=RateLimiter(settings.command_rate, settings.command_burst),
        slots=slots,
        refusals=Refusals(),
        housekeeping=Housekeeping(
            hub=hub,
            readiness=readiness,
            gaps=gaps,
            bridge=bridge,
            topics=topics,
            tokens=tokens,
            on_tick=(alerting.tick,),
            sessions=sessions,
            tokens_reload=settings.tokens_reload,
            slots=slots,
        ),
        metrics_registry=metrics_registry,
        alerting=alerting,
        recorder=recorder,
        audit=audit,
        history=HistoryQueries(
            registry, recorder, raw_keep_ms=limits.raw_ms, minute_keep_ms=limits.minute_ms
        ),
        discovery=discovery,
    )
