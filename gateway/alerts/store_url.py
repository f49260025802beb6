"""Which :class:`~gateway.alerts.store.AlertStore` a ``--history-url`` means: the alerts live in the
recorder's database (CONTRACT.md v3), so they follow its URL, parsed by the recorder's own parser."""

from __future__ import annotations

from gateway.alerts.postgres_store import PostgresAlertStore
from gateway.alerts.sqlite_store import SqliteAlertStore
from gateway.alerts.store import AlertStore, MemoryAlertStore
from gateway.recorder.url import HistoryBackend, HistoryUrl, parse_history_url


def alert_store_for(url: HistoryUrl | str | None) -> AlertStore:
    """The store for a history URL (text or parsed); ``None`` or ``none``: in memory."""
    if url is None:
        return MemoryAlertStore()
    parsed = parse_history_url(url) if isinstance(url, str) else url
    if parsed.backend is HistoryBackend.SQLITE:
        assert parsed.path is not None
        return SqliteAlertStore(parsed.path)
    if parsed.backend is HistoryBackend.POSTGRESQL:
        assert parsed.dsn is not None
        return PostgresAlertStore(parsed.dsn, parsed.redacted())
    return MemoryAlertStore()
