"""From the settings to a store and a recorder (called by :func:`gateway.runtime.build_runtime`)."""

from __future__ import annotations

from gateway.recorder.postgres_store import PostgresStore
from gateway.recorder.recorder import Recorder
from gateway.recorder.records import HOUR_MS
from gateway.recorder.sqlite_store import SqliteStore
from gateway.recorder.store import HistoryStore, RetentionLimits
from gateway.recorder.url import HistoryBackend, HistoryUrl
from gateway.settings import GatewaySettings
from gateway.state import GapTracker

DAY_MS = 24 * HOUR_MS


def build_store(url: HistoryUrl) -> HistoryStore | None:
    """The store ``--history-url`` names; None for ``none``. Nothing is opened here."""
    if url.backend is HistoryBackend.SQLITE:
        assert url.path is not None
        return SqliteStore(url.path)
    if url.backend is HistoryBackend.POSTGRESQL:
        assert url.dsn is not None
        return PostgresStore(url.dsn, description=url.redacted())
    return None


def retention_limits(settings: GatewaySettings) -> RetentionLimits:
    return RetentionLimits(
        raw_ms=int(settings.history_raw_days * DAY_MS),
        minute_ms=int(settings.history_minute_days * DAY_MS),
        max_bytes=settings.history_max_mb * 1024 * 1024,
    )


def build_recorder(settings: GatewaySettings, gaps: GapTracker) -> Recorder | None:
    store = build_store(settings.resolved_history_url)
    if store is None:
        return None
    return Recorder(
        store,
        gaps=gaps,
        limits=retention_limits(settings),
        queue_size=settings.history_queue,
        batch_size=settings.history_batch,
        retention_every=settings.history_retention_interval,
    )
