"""The audit trail: every command through the gateway (CONTRACT.md v3, "Audit log").

Commands (REST and WebSocket) call :meth:`AuditTrail.record` once each, with the outcome. The last
:data:`MEMORY_ENTRIES` are always kept in memory: that is the whole audit log with
``--history-url none``, and the answer while the store is failing. With a store, each entry is also
handed to the recorder, which writes it with its next batch; a query asks the store and adds the
entries not written yet.
"""

from __future__ import annotations

from collections import deque

from gateway.recorder.recorder import Recorder
from gateway.recorder.records import AuditEntry
from gateway.recorder.store import StoreUnavailable

MEMORY_ENTRIES = 1_000


class AuditTrail:
    def __init__(self, recorder: Recorder | None, *, memory_entries: int = MEMORY_ENTRIES) -> None:
        self.recorder = recorder
        self._memory: deque[AuditEntry] = deque(maxlen=memory_entries)
        self.recorded = 0

    def record(self, entry: AuditEntry) -> None:
        self.recorded += 1
        self._memory.append(entry)
        if self.recorder is not None:
            self.recorder.record_audit(entry)

    async def query(
        self, device: str | None, start_ms: int | None, end_ms: int | None, limit: int
    ) -> list[AuditEntry]:
        """Entries newest first, at most ``limit``."""
        recorder = self.recorder
        if recorder is not None and recorder.opened and recorder.cause is None:
            try:
                stored = await recorder.store.audit(device, start_ms, end_ms, limit)
            except StoreUnavailable:
                pass
            else:
                return _merge(
                    stored, _match(recorder.pending_audit(), device, start_ms, end_ms), limit
                )
        return _merge([], _match(list(self._memory), device, start_ms, end_ms), limit)


def _match(
    entries: list[AuditEntry], device: str | None, start_ms: int | None, end_ms: int | None
) -> list[AuditEntry]:
    return [
        e
        for e in entries
        if (device is None or e.device == device)
        and (start_ms is None or e.ts_ms >= start_ms)
        and (end_ms is None or e.ts_ms <= end_ms)
    ]


def _merge(stored: list[AuditEntry], pending: list[AuditEntry], limit: int) -> list[AuditEntry]:
    seen = {(e.cid, e.ts_ms, e.device, e.actuator) for e in stored}
    extra = [e for e in pending if (e.cid, e.ts_ms, e.device, e.actuator) not in seen]
    # stable: newest first; equal times keep their recorded order reversed
    both = [*reversed(extra), *stored] if extra else stored
    both = sorted(both, key=lambda e: e.ts_ms, reverse=True)
    return both[:limit]
