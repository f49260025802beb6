"""Prometheus metrics: a fresh registry per app, and the gateway's domain metrics.

The hot paths (intake, hub, seq tracking) keep plain integer counters; :class:`DomainCollector`
turns them into Prometheus families when ``/metrics`` is scraped, so a delivered event costs an
integer add rather than a labelled Prometheus call. HTTP request metrics come from
prometheus-fastapi-instrumentator on the same registry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.auth import SessionStore, TokenStore
from gateway.core.commands import Commands
from gateway.core.homeassistant import HomeAssistantDiscovery
from gateway.core.housekeeping import Housekeeping
from gateway.core.intake import Intake
from gateway.core.readiness import BrokerReadiness
from gateway.core.refusals import Refusals
from gateway.core.rejections import Rejections
from gateway.hub import Hub, StreamSlots, Transport
from gateway.recorder.audit import AuditTrail
from gateway.recorder.recorder import Recorder
from gateway.state import GapTracker, Registry

PREFIX = "pigw_gateway_"


def _counter(name: str, doc: str, labels: Iterable[str] = ()) -> CounterMetricFamily:
    return CounterMetricFamily(PREFIX + name, doc, labels=list(labels))


def _gauge(name: str, doc: str, labels: Iterable[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + name, doc, labels=list(labels))


@dataclass(frozen=True, slots=True)
class DomainCollector(Collector):
    """Reads the parts' counters at scrape time (registered by the lifespan, ``gateway/app.py``)."""

    intake: Intake
    gaps: GapTracker
    rejections: Rejections
    registry: Registry
    housekeeping: Housekeeping
    hub: Hub
    readiness: BrokerReadiness
    commands: Commands
    refusals: Refusals
    sessions: SessionStore
    tokens: TokenStore | None
    slots: StreamSlots
    recorder: Recorder | None = None
    audit: AuditTrail | None = None
    discovery: HomeAssistantDiscovery | None = None

    def collect(self) -> Iterable[Metric]:
        yield from self._intake()
        yield from self._hub()
        yield from self._service()
        yield from self._recorder()

    def _recorder(self) -> Iterable[Metric]:
        families: list[Metric] = []
        if self.audit is not None:
            audit = _counter("audit_entries", "commands recorded in the audit log")
            audit.add_metric([], self.audit.recorded)
            families.append(audit)
        recorder = self.recorder
        if recorder is None:
            return families
        stats = recorder.stats
        readings = _counter(
            "history_readings", "readings handed to the recorder, by fate", ["what"]
        )
        readings.add_metric(["accepted"], stats.accepted)
        readings.add_metric(["written"], stats.written)
        readings.add_metric(["duplicate"], stats.duplicates)
        readings.add_metric(["dropped"], stats.dropped)
        readings.add_metric(["reasked"], stats.reasked)
        queue = _gauge("history_queue", "readings waiting for the store")
        queue.add_metric([], recorder.queued)
        limit = _gauge("history_queue_limit", "readings that may wait for the store")
        limit.add_metric([], recorder.queue_size)
        ok = _gauge("history_ok", "1 while the history store is open and writing")
        ok.add_metric([], 1 if recorder.opened and recorder.cause is None else 0)
        failures = _counter("history_failures", "failed store operations, by cause", ["cause"])
        for cause, count in sorted(stats.failures.items()):
            failures.add_metric([cause], count)
        batches = _counter("history_batches", "store transactions of readings")
        batches.add_metric([], stats.batches)
        deleted = _counter("history_retention_deleted", "rows deleted by retention", ["tier"])
        for tier, count in sorted(stats.retention_deleted.items()):
            deleted.add_metric([tier], count)
        families += [readings, queue, limit, ok, failures, batches, deleted]
        if recorder.bytes_on_disk is not None:
            size = _gauge("history_bytes", "bytes the history store uses")
            size.add_metric([], recorder.bytes_on_disk)
            families.append(size)
        return families

    def _intake(self) -> Iterable[Metric]:
        intake, gaps = self.intake.stats, self.gaps.stats
        messages = _counter("mqtt_messages", "MQTT messages received, by topic kind", ["type"])
        for kind, count in sorted(intake.messages.items()):
            messages.add_metric([str(kind)], count)
        rejected = _counter("mqtt_rejected", "MQTT messages refused, by reason", ["reason"])
        for reason, count in sorted(self.rejections.counts.items()):
            rejected.add_metric([reason], count)
        duplicates = _counter("duplicates", "state messages dropped as a repeated (device, seq)")
        duplicates.add_metric([], intake.duplicates)
        removed = _counter("devices_removed", "devices removed by clearing their retained meta")
        removed.add_metric([], intake.removed)
        devices = _gauge("devices", "devices known")
        devices.add_metric([], len(self.registry.devices))
        gap = _counter("seq_gaps", "seq tracking, by what happened", ["what"])
        for what in ("opened", "filled", "given_up", "lost", "resets"):
            gap.add_metric([what], getattr(gaps, what))
        replays = _counter("replay_requests", "replay requests sent to agents")
        replays.add_metric([], self.housekeeping.replays_sent)
        budget = self.registry.budget
        held = _gauge("memory_history_readings", "readings held in memory over all sensors")
        held.add_metric([], budget.held)
        limit = _gauge("memory_history_budget", "readings the in-memory history may hold in all")
        limit.add_metric([], budget.total)
        share = _gauge("memory_history_share", "readings one sensor's history may hold now")
        share.add_metric([], budget.limit)
        evicted = _counter(
            "memory_history_evicted", "readings dropped to keep the history within its budget"
        )
        evicted.add_metric([], budget.stats.evicted)
        discovery = _counter(
            "ha_discovery", "Home Assistant discovery documents, by result", ["result"]
        )
        if self.discovery is not None:
            discovery.add_metric(["published"], self.discovery.stats.published)
            discovery.add_metric(["failed"], self.discovery.stats.failed)
        return [
            messages, rejected, duplicates, removed, devices, gap, replays,
            held, limit, share, evicted, discovery,
        ]  # fmt: skip

    def _hub(self) -> Iterable[Metric]:
        hub = self.hub
        stats = hub.stats
        events = _counter("events", "events published to the hub, by type", ["type"])
        for name, count in sorted(stats.published.items()):
            events.add_metric([name], count)
        delivered = _counter("deliveries", "events handed to streams")
        delivered.add_metric([], stats.delivered)
        writes = _counter("stream_writes", "batches written to streams")
        writes.add_metric([], stats.writes)
        subscribers = _gauge("subscribers", "open streams, by transport", ["transport"])
        for transport in Transport:
            subscribers.add_metric([transport.value], hub.count(transport))
        slow = _counter("slow_subscriber_actions", "what slow streams got", ["action"])
        slow.add_metric(["reset"], stats.slow_resets)
        slow.add_metric(["closed"], stats.slow_closed)
        resume = _counter("resume", "Last-Event-ID resumes, by result", ["result"])
        resume.add_metric(["hit"], stats.resume_hits)
        resume.add_metric(["miss"], stats.resume_misses)
        snapshots = _counter("snapshots", "snapshots sent, and how many were built", ["what"])
        snapshots.add_metric(["sent"], stats.snapshots)
        snapshots.add_metric(["built"], stats.snapshots_built)
        ring_events = _gauge("ring_events", "events held for resume")
        ring_events.add_metric([], len(hub.ring))
        ring_bytes = _gauge("ring_bytes", "bytes held for resume")
        ring_bytes.add_metric([], hub.ring.bytes)
        return [
            events,
            delivered,
            writes,
            subscribers,
            slow,
            resume,
            snapshots,
            ring_events,
            ring_bytes,
        ]

    def _service(self) -> Iterable[Metric]:
        connected = _gauge("broker_connected", "1 while connected to the broker")
        connected.add_metric([], 1 if self.readiness.connected else 0)
        ready = _gauge("ready", "1 while connected and the retained state is loaded")
        ready.add_metric([], 1 if self.readiness.ready else 0)
        commands = _counter(
            "commands", "commands by result (ack status or HTTP status)", ["result"]
        )
        for result, count in sorted(self.commands.stats.results.items()):
            commands.add_metric([result], count)
        refused = _counter("requests_refused", "HTTP requests refused by a limit", ["reason"])
        for reason, count in sorted(self.refusals.counts.items()):
            refused.add_metric([reason], count)
        sessions = _gauge("sessions", "browser sessions held (bounded by --max-sessions)")
        sessions.add_metric([], len(self.sessions))
        session_ends = _counter("sessions_ended", "browser sessions ended, by why", ["why"])
        stats = self.sessions.stats
        for why in ("ended", "revoked", "expired", "evicted"):
            session_ends.add_metric([why], getattr(stats, why))
        revoked = _counter(
            "streams_revoked", "open streams ended because their token or session went"
        )
        revoked.add_metric([], self.slots.revoked)
        families: list[Metric] = [
            connected, ready, commands, refused, sessions, session_ends, revoked,
        ]  # fmt: skip
        if self.tokens is not None:
            token_stats = self.tokens.stats
            tokens = _gauge("tokens", "valid tokens in the tokens file")
            tokens.add_metric([], len(self.tokens))
            bad = _gauge(
                "tokens_file_bad_lines", "lines of the tokens file refused at the last read"
            )
            bad.add_metric([], token_stats.bad_lines)
            unreadable = _counter(
                "tokens_file_unreadable", "reloads that found the tokens file gone or unreadable"
            )
            unreadable.add_metric([], token_stats.unreadable)
            families += [tokens, bad, unreadable]
        try:
            alive = len(asyncio.all_tasks())
        except RuntimeError:  # collected outside the event loop: there is nothing to count
            return families
        # Each stream holds one or two tasks while it is open: a count that does not come back
        # down after clients leave is a leak (issue 8 measures exactly that).
        tasks = _gauge("asyncio_tasks", "asyncio tasks alive in the gateway's event loop")
        tasks.add_metric([], alive)
        return [*families, tasks]


def new_registry() -> CollectorRegistry:
    return CollectorRegistry(auto_describe=True)
