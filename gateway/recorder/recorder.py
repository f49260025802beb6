"""The recorder's asyncio edge: from the intake to a history store, never in the way.

The intake calls :meth:`Recorder.record` for every state message it accepts; that appends to a
bounded in-memory queue and returns (O(1), no I/O, on the event loop). One task,
:meth:`Recorder.run`, opens the store, tells the gap tracker what the store holds (so a restart
asks for what it missed), and writes the queue in batches.

Policy at the limit (``--history-queue`` readings): a reading that finds the queue full is not
queued (``dropped``); its seq is remembered, and once the queue has room again the gap tracker asks
the agent to replay it (the agent still holds it: CONTRACT.md keeps 10,000 or 24 h). A store that
fails (disk full, locked or corrupt file, PostgreSQL gone) keeps its batch and is retried with a
growing pause; each cause is logged once when it starts and once when it ends, counted, and shown
by :meth:`Recorder.status` (``/readyz``'s ``recorder`` field). The live stream, REST state and
commands never wait for any of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway.recorder.coverage import device_coverage
from gateway.recorder.records import AuditEntry, Coverage, PointRole, Reading
from gateway.recorder.runs import SeqRuns
from gateway.recorder.store import HistoryStore, RetentionLimits, StoreUnavailable
from gateway.state import GapTracker
from pigw.contract import StateMessage

logger = logging.getLogger("gateway.recorder")

RETRY_FIRST = 0.5
RETRY_MAX = 10.0
#: Audit entries waiting for the writer at most (then the oldest waiting go; the in-memory
#: ring of the audit trail still has them).
MAX_PENDING_AUDIT = 10_000


def ts_ms(ts: str) -> int:
    """A contract ``ts`` (``2026-11-24T06:00:00.123Z``) as epoch milliseconds."""
    return int(datetime.fromisoformat(ts).timestamp() * 1000 + 0.5)


@dataclass(slots=True)
class RecorderStats:
    accepted: int = 0  # readings handed to record()
    written: int = 0  # readings new to the store
    duplicates: int = 0  # readings the store held already
    dropped: int = 0  # readings refused at the queue limit (asked for again by replay)
    reasked: int = 0  # seqs handed back to the gap tracker to be replayed
    batches: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # store failures by cause
    retention_deleted: dict[str, int] = field(default_factory=dict)  # rows by tier
    audit_written: int = 0
    audit_dropped: int = 0


class Recorder:
    """Feeds one :class:`HistoryStore` from the intake (see the module docstring)."""

    def __init__(
        self,
        store: HistoryStore,
        *,
        gaps: GapTracker,
        limits: RetentionLimits,
        queue_size: int = 100_000,
        batch_size: int = 5_000,
        retention_every: float = 60.0,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.gaps = gaps
        self.limits = limits
        self.queue_size = queue_size
        self.batch_size = batch_size
        self.retention_every = retention_every
        self.stats = RecorderStats()
        self.opened = False
        self.cause: str | None = None  # the current failure's cause; None while healthy
        self.detail: str | None = None
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._queue: deque[Reading] = deque()
        self._audit: deque[AuditEntry] = deque(maxlen=MAX_PENDING_AUDIT)
        self._unrecorded: dict[str, SeqRuns] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()  # set while nothing waits to be written
        self._opened_event = asyncio.Event()
        self.bytes_on_disk: int | None = None  # from the last retention step
        self._next_retention = 0.0

    # --- intake side (event loop, O(1)) ------------------------------------------------------
    def record(self, device: str, role: PointRole, point: str, message: StateMessage) -> None:
        """Queue one accepted state message for the store."""
        seq = message.seq
        self.stats.accepted += 1
        if len(self._queue) >= self.queue_size:
            self.stats.dropped += 1
            runs = self._unrecorded.get(device)
            if runs is None:
                runs = self._unrecorded[device] = SeqRuns()
            runs.add(seq)
            return
        self._queue.append(Reading(device, point, role, seq, ts_ms(message.ts), message.value))
        if not self._wake.is_set():
            self._wake.set()
            self._idle.clear()

    def record_audit(self, entry: AuditEntry) -> None:
        if len(self._audit) == self._audit.maxlen:
            self.stats.audit_dropped += 1
        self._audit.append(entry)
        self._wake.set()
        self._idle.clear()

    def pending_audit(self) -> list[AuditEntry]:
        """Audit entries not written yet (a query shows them too)."""
        return list(self._audit)

    @property
    def queued(self) -> int:
        return len(self._queue)

    # --- the writer task ----------------------------------------------------------------------
    async def wait_open(self, timeout: float) -> bool:
        """Wait (bounded) until the store is open and the gap tracker seeded."""
        try:
            async with asyncio.timeout(timeout):
                await self._opened_event.wait()
        except TimeoutError:
            return False
        return True

    async def run(self) -> None:
        """Open the store (retrying), then write batches until cancelled."""
        try:
            await self._open()
            while True:
                await self._write_batch()
                await self._write_audit()
                self._reask()
                await self._maybe_retain()
                if not self._queue and not self._audit:
                    self._wake.clear()
                    self._idle.set()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.retention_every):
                            await self._wake.wait()
        finally:
            await self.store.close()

    async def drain(self, timeout: float) -> bool:
        """Wait (bounded) until everything queued is written: the gateway's shutdown calls it
        before cancelling :meth:`run`, so a clean stop loses nothing."""
        if not self.opened:
            return not self._queue
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True

    async def _open(self) -> None:
        delay = RETRY_FIRST
        while True:
            try:
                await self.store.open()
                last = await self.store.last_seqs()
                break
            except StoreUnavailable as exc:
                self._failed(exc)
                await self._sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
        now = self._monotonic()
        for device, top in last.items():
            self.gaps.seed(device, top, now)
        self.opened = True
        self._recovered()
        self._opened_event.set()
        logger.info(
            "history store open",
            extra={"store": self.store.description, "devices": len(last)},
        )

    async def _retry(self, what: Callable[[], Awaitable[Any]]) -> Any:
        delay = RETRY_FIRST
        while True:
            try:
                result = await what()
            except StoreUnavailable as exc:
                self._failed(exc)
                await self._sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            self._recovered()
            return result

    async def _write_batch(self) -> None:
        queue = self._queue
        if not queue:
            return
        # The writer runs when the event loop lets it, and a burst of backlog keeps the loop busy
        # (the bridge handles many messages per turn): behind such a burst, take up to a quarter
        # of the queue at once, or the queue fills while the writer waits for its next turn.
        count = min(len(queue), max(self.batch_size, len(queue) // 4))
        batch = [queue.popleft() for _ in range(count)]
        result = await self._retry(lambda: self.store.write(batch))
        self.stats.batches += 1
        self.stats.written += result.stored
        self.stats.duplicates += result.duplicates

    async def _write_audit(self) -> None:
        if not self._audit:
            return
        entries = list(self._audit)
        await self._retry(lambda: self.store.append_audit(entries))
        for _ in entries:
            if self._audit:
                self._audit.popleft()
        self.stats.audit_written += len(entries)

    def _reask(self) -> None:
        """Hand dropped seqs back to the gap tracker once the queue has room (half empty), so the
        replay they bring does not overflow it again."""
        if not self._unrecorded or len(self._queue) > self.queue_size // 2 or self.cause:
            return
        now = self._monotonic()
        for device, runs in self._unrecorded.items():
            for run in runs.runs():
                self.stats.reasked += self.gaps.reopen(device, run.lo, run.hi, now)
        self._unrecorded.clear()

    async def _maybe_retain(self) -> None:
        now = self._monotonic()
        if now < self._next_retention:
            return
        try:
            result = await self.store.retain(self.limits, int(self._clock() * 1000))
        except StoreUnavailable as exc:
            self._failed(exc)
            self._next_retention = now + self.retention_every
            return
        try:
            self.bytes_on_disk = (await self.store.health()).bytes_on_disk
        except StoreUnavailable as exc:
            self._failed(exc)
        for tier, rows in result.deleted.items():
            self.stats.retention_deleted[tier.value] = (
                self.stats.retention_deleted.get(tier.value, 0) + rows
            )
        # More to delete: the next step right after the next batch, not in a minute.
        self._next_retention = now if result.more else now + self.retention_every

    # --- failure accounting ------------------------------------------------------------------
    def _failed(self, exc: StoreUnavailable) -> None:
        self.stats.failures[exc.cause] = self.stats.failures.get(exc.cause, 0) + 1
        if self.cause != exc.cause:
            logger.error(
                "history store failing (%s): %s; readings queue and are retried",
                exc.cause,
                exc.detail,
                extra={"store": self.store.description, "cause": exc.cause},
            )
        self.cause, self.detail = exc.cause, exc.detail

    def _recovered(self) -> None:
        if self.cause is not None:
            logger.warning(
                "history store recovered after %s", self.cause, extra={"cause": self.cause}
            )
        self.cause = self.detail = None

    # --- views --------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """``/readyz``'s ``recorder`` field (the gateway is ready whatever it says)."""
        return {
            "enabled": True,
            "store": self.store.description,
            "ok": self.opened and self.cause is None,
            "open": self.opened,
            "failing": self.cause,
            "error": self.detail,
            "queued": len(self._queue),
            "queue_limit": self.queue_size,
            "dropped": self.stats.dropped,
            "written": self.stats.written,
        }

    async def coverage(self, device: str) -> Coverage:
        runs = await self.store.seq_runs(device)
        return device_coverage(device, runs, self.gaps.pending(device))
