"""The history store interface, owned by the recorder's core; the adapters implement it.

Two adapters: :mod:`gateway.recorder.sqlite_store` (the embedded default) and
:mod:`gateway.recorder.postgres_store` (replicas sharing one server). Both pass the same test module
(``tests/recorder/test_store.py``). Every method is a coroutine: an adapter never blocks the event
loop (SQLite runs its statements in threads of its own, asyncpg is asynchronous).

Rules every adapter keeps:

- **Idempotent by (device, seq).** :meth:`HistoryStore.write` stores a reading once whichever
  replica or replay brings it; a duplicate changes nothing: no second row, no second count in a
  bucket. Buckets (1 minute, 1 hour) are kept up to date in the same transaction as the readings,
  so a query never scans raw readings to build them.
- **Failures are exceptions of one kind**: :class:`StoreUnavailable` (disk full, locked or corrupt
  file, server gone). The recorder counts them by ``cause``, logs once per cause and retries; the
  live stream, REST state and commands never wait for the store.
- **Tables have a prefix per feature.** The recorder's tables are ``history_*`` (their columns are a
  public, versioned interface, ``docs/history.md``); other features that keep tables in the same
  database (alerts: ``alert_*``) create their own with ``CREATE TABLE IF NOT EXISTS`` and never touch
  ``history_*``. :func:`gateway.recorder.url.parse_history_url` says which database it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from gateway.recorder.raw_json import RawJson
from gateway.recorder.records import (
    AuditEntry,
    Bucket,
    DeviceReading,
    PointRef,
    RawReading,
    Reading,
    SeqRun,
    Tier,
    WriteResult,
)

#: The version of the ``history_*`` tables' layout (``history_schema``); docs/history.md lists it.
SCHEMA_VERSION = 1


class StoreUnavailable(Exception):
    """The store cannot do this now. ``cause`` is a short metric label: ``disk_full``, ``locked``,
    ``corrupt``, ``connection``, ``io`` or ``other``."""

    def __init__(self, cause: str, detail: str) -> None:
        super().__init__(f"{cause}: {detail}")
        self.cause = cause
        self.detail = detail


@dataclass(frozen=True, slots=True)
class RetentionLimits:
    """What retention deletes (``--history-raw-days``, ``--history-minute-days``,
    ``--history-max-mb``); see :mod:`gateway.recorder.retention`."""

    raw_ms: int
    minute_ms: int
    max_bytes: int
    chunk_rows: int = 5_000  # rows per DELETE: small, so a purge never stalls the writer


@dataclass(slots=True)
class RetentionResult:
    deleted: dict[Tier, int] = field(default_factory=dict)
    more: bool = False  # a chunk limit was reached: call again


@dataclass(frozen=True, slots=True)
class StoreHealth:
    """Sizes for ``/metrics`` and the bytes-per-reading figure of ``docs/history.md``."""

    bytes_on_disk: int
    raw_readings: int | None = None  # None when counting them would cost a scan


class HistoryStore(Protocol):
    """A history store. ``start_ms``/``end_ms`` are inclusive bounds on ``ts``."""

    description: str  # for logs and /readyz: the URL without a password

    async def open(self) -> None:
        """Connect, create or check the ``history_*`` tables. Raises :class:`StoreUnavailable`."""

    async def close(self) -> None: ...

    async def write(self, readings: Sequence[Reading]) -> WriteResult:
        """Store a batch in one transaction, idempotently keyed by ``(device, seq)``."""

    async def last_seqs(self) -> dict[str, int]:
        """The highest seq recorded per device (what gap filling starts from after a restart)."""

    async def has_point(self, ref: PointRef) -> bool: ...

    async def has_device(self, device: str) -> bool: ...

    async def readings(
        self, ref: PointRef, start_ms: int, end_ms: int, limit: int
    ) -> tuple[list[RawReading], bool]:
        """The ``limit`` most recent raw readings in the window, oldest first, and whether more
        were left out (``truncated``)."""

    async def readings_json(
        self, ref: PointRef, start_ms: int, end_ms: int, limit: int, seqs_from_ms: int
    ) -> RawJson:
        """The same readings as :meth:`readings`, as the JSON array of ``step=raw``'s answer:
        ``text`` is byte for byte :func:`gateway.recorder.raw_json.readings_text` of them, and
        ``seqs`` the seqs of those at or after ``seqs_from_ms`` (what the ring merge checks). A
        second method rather than a new return type of :meth:`readings`, because CSV, the merge
        with the ring and the tests want the readings themselves; this one is the fast path of
        the JSON answer (issue 14: a day of raw readings no slower than InfluxDB's), made with as
        little Python per reading as the adapter can (PostgreSQL: the whole text in SQL; SQLite:
        ``ts`` in SQL, the rows joined in C). An adapter falls back to :meth:`readings` for what
        its database cannot format exactly."""

    async def buckets(
        self, ref: PointRef, tier: Tier, start_ms: int, end_ms: int, limit: int
    ) -> tuple[list[Bucket], bool]:
        """Buckets of ``tier`` (1m or 1h) whose start is in the window, oldest first (the most
        recent ``limit``), and whether more were left out."""

    async def count_estimate(self, ref: PointRef, start_ms: int, end_ms: int) -> int:
        """About how many raw readings the window holds (from the hour buckets: cheap)."""

    async def device_readings(
        self, device: str, start_ms: int, end_ms: int, limit: int
    ) -> tuple[list[DeviceReading], bool]:
        """Every point of a device, raw, oldest first (the most recent ``limit``)."""

    async def seq_runs(self, device: str) -> list[SeqRun]:
        """The runs of seqs held for a device, ascending (coverage is computed from them)."""

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None: ...

    async def audit(
        self, device: str | None, start_ms: int | None, end_ms: int | None, limit: int
    ) -> list[AuditEntry]:
        """Audit entries, newest first."""

    async def retain(self, limits: RetentionLimits, now_ms: int) -> RetentionResult:
        """One step of retention: at most ``limits.chunk_rows`` rows per tier."""

    async def health(self) -> StoreHealth: ...
