"""The recorder's edge with a fake store and a fake clock: the queue's limit, failures, recovery,
the seed of the gap tracker, retention steps."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest

from gateway.recorder.recorder import Recorder, ts_ms
from gateway.recorder.records import AuditEntry, Reading, SeqRun, WriteResult
from gateway.recorder.runs import SeqRuns
from gateway.recorder.store import (
    RetentionLimits,
    RetentionResult,
    StoreHealth,
    StoreUnavailable,
)
from gateway.state import GapTracker
from pigw.contract import StateMessage
from tests.support.waiting import async_wait_until

LIMITS = RetentionLimits(raw_ms=10, minute_ms=20, max_bytes=1 << 30)


class FakeStore:
    """Holds readings in a dict; ``failing`` makes every call raise like a full disk."""

    description = "fake://"

    def __init__(self, last: dict[str, int] | None = None) -> None:
        self.rows: dict[tuple[str, int], Reading] = {}
        self.audits: list[AuditEntry] = []
        self.failing: str | None = None
        self.last = last or {}
        self.retains = 0
        self.closed = False

    def _check(self) -> None:
        if self.failing:
            raise StoreUnavailable(self.failing, "injected")

    async def open(self) -> None:
        self._check()

    async def close(self) -> None:
        self.closed = True

    async def write(self, readings: Sequence[Reading]) -> WriteResult:
        self._check()
        new = 0
        for r in readings:
            if (r.device, r.seq) not in self.rows:
                self.rows[(r.device, r.seq)] = r
                new += 1
        return WriteResult(new, len(readings) - new)

    async def last_seqs(self) -> dict[str, int]:
        self._check()
        return dict(self.last)

    async def seq_runs(self, device: str) -> list[SeqRun]:
        runs = SeqRuns()
        for dev, seq in sorted(self.rows):
            if dev == device:
                runs.add(seq)
        return runs.runs()

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        self._check()
        self.audits.extend(entries)

    async def retain(self, limits: RetentionLimits, now_ms: int) -> RetentionResult:
        self._check()
        self.retains += 1
        return RetentionResult()

    async def health(self) -> StoreHealth:
        self._check()
        return StoreHealth(bytes_on_disk=len(self.rows) * 30)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)  # poll: one yield to the writer task, not a wait


TS = "2025-12-01T00:00:00.000Z"


def state(seq: int, value: float = 1.5) -> StateMessage:
    return StateMessage(value=value, unit="C", ts=TS, seq=seq, boot="b")


def make(store: FakeStore, gaps: GapTracker, **kw: int) -> Recorder:
    clock = Clock()
    return Recorder(store, gaps=gaps, limits=LIMITS, clock=clock, monotonic=clock,  # type: ignore[arg-type]
                    sleep=no_sleep, **kw)  # fmt: skip


async def run_until(recorder: Recorder, condition: object, what: str) -> None:
    task = asyncio.create_task(recorder.run())
    try:
        await async_wait_until(condition, 10, what)  # type: ignore[arg-type]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_ts_is_epoch_milliseconds() -> None:
    assert ts_ms("1970-01-01T00:00:01.234Z") == 1234
    assert ts_ms(TS) == 1_764_547_200_000


async def test_readings_reach_the_store_and_the_tracker_is_seeded() -> None:
    store, gaps = FakeStore(last={"dev1": 41}), GapTracker(delay=0.0)
    recorder = make(store, gaps)
    for seq in range(42, 52):
        recorder.record("dev1", "sensor", "temp", state(seq))
    await run_until(recorder, lambda: len(store.rows) == 10, "ten readings stored")
    assert gaps.top("dev1") == 41 and recorder.status()["ok"]
    assert store.closed  # the task closes its store


async def test_the_queue_limit_drops_and_the_dropped_seqs_are_asked_for_again() -> None:
    store, gaps = FakeStore(), GapTracker(delay=0.0)
    recorder = make(store, gaps, queue_size=4)
    for seq in range(10):
        gaps.observe("dev1", seq, "b", 0.0)
        recorder.record("dev1", "sensor", "temp", state(seq, seq))
    assert recorder.stats.dropped == 6 and recorder.queued == 4
    await run_until(recorder, lambda: recorder.stats.reasked == 6, "the dropped seqs re-asked")
    assert gaps.missing("dev1") == [(4, 9)]
    assert gaps.due(1.0e9) == [("dev1", 4, 9)]


async def test_a_failing_store_is_logged_once_counted_and_resumes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, gaps = FakeStore(), GapTracker()
    recorder = make(store, gaps)
    store.failing = "disk_full"
    recorder.record("dev1", "sensor", "temp", state(1))
    task = asyncio.create_task(recorder.run())
    try:
        with caplog.at_level(logging.ERROR, logger="gateway.recorder"):
            await async_wait_until(lambda: recorder.stats.failures.get("disk_full", 0) >= 5, 10,
                                   "several failed attempts")  # fmt: skip
        status = recorder.status()
        assert status["failing"] == "disk_full" and not status["ok"]
        assert len([r for r in caplog.records if "failing" in r.getMessage()]) == 1
        recorder.record("dev1", "sensor", "temp", state(2))  # accepted while failing
        store.failing = None
        await async_wait_until(lambda: len(store.rows) == 2, 10, "both readings stored")
        assert recorder.status()["ok"]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_audit_entries_are_written_with_the_batches() -> None:
    store, gaps = FakeStore(), GapTracker()
    recorder = make(store, gaps)
    entry = AuditEntry(1, "open", "dev1", "relay1", True, "c1", "ok", None, 3.0, "rest")
    recorder.record_audit(entry)
    await run_until(recorder, lambda: store.audits == [entry], "the audit entry written")
    assert recorder.pending_audit() == []


async def test_retention_runs_on_its_own_schedule_and_measures_the_store() -> None:
    store, gaps = FakeStore(), GapTracker()
    recorder = make(store, gaps)
    recorder.record("dev1", "sensor", "temp", state(1))
    await run_until(recorder, lambda: store.retains >= 1, "one retention step")
    assert recorder.bytes_on_disk is not None


async def test_a_clean_stop_drains_the_queue_first() -> None:
    store, gaps = FakeStore(), GapTracker()
    recorder = make(store, gaps)
    task = asyncio.create_task(recorder.run())
    try:
        assert await recorder.wait_open(10)
        for seq in range(100):
            recorder.record("dev1", "sensor", "temp", state(seq))
        assert await recorder.drain(10)
        assert len(store.rows) == 100
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
