"""History queries as the HTTP routes need them: the store, joined with the in-memory ring.

The registry's ring (``--history-size`` per sensor) always holds the newest readings, even those
still waiting in the recorder's queue, so a raw query answers with the store's readings and the
ring's, deduplicated by seq: a reading the intake accepted is in the next answer, whatever the
writer is doing. With ``--history-url none`` the ring is all there is (the v2 behaviour), and
buckets are folded from it on the fly. If the store fails, raw answers come from the ring alone;
bucket answers raise :class:`StoreUnavailable` (the route says 503).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway.recorder.bucketing import fold
from gateway.recorder.coverage import device_coverage
from gateway.recorder.raw_json import RawJson, readings_text
from gateway.recorder.recorder import Recorder, ts_ms
from gateway.recorder.records import (
    Bucket,
    Coverage,
    DeviceReading,
    PointRef,
    RawReading,
    Tier,
)
from gateway.recorder.step import auto_tier
from gateway.recorder.store import StoreUnavailable
from gateway.state import Registry


@dataclass(frozen=True, slots=True)
class PointHistory:
    step: Tier
    readings: list[RawReading]
    buckets: list[Bucket]
    truncated: bool


class HistoryQueries:
    def __init__(
        self,
        registry: Registry,
        recorder: Recorder | None,
        *,
        raw_keep_ms: int,
        minute_keep_ms: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.registry = registry
        self.recorder = recorder
        self.raw_keep_ms = raw_keep_ms
        self.minute_keep_ms = minute_keep_ms
        self._clock = clock

    # --- what exists --------------------------------------------------------------------------
    async def known_device(self, device: str) -> bool:
        if self.registry.get(device) is not None:
            return True
        return await self._store_says(lambda r: r.store.has_device(device))

    async def known_point(self, ref: PointRef) -> bool:
        state = self.registry.get(ref.device)
        if state is not None:
            meta = state.meta
            declared = meta is not None and ref.point in (
                meta.sensors if ref.role == "sensor" else meta.actuators
            )
            if declared or (ref.point in state.points and state.role(ref.point) == ref.role):
                return True
        return await self._store_says(lambda r: r.store.has_point(ref))

    async def _store_says(self, ask: Callable[[Recorder], object]) -> bool:
        recorder = self.recorder
        if recorder is None or not recorder.opened:
            return False
        try:
            return bool(await ask(recorder))  # type: ignore[misc]
        except StoreUnavailable:
            return False

    # --- one point ----------------------------------------------------------------------------
    def _ring(self, ref: PointRef, start_ms: int, end_ms: int) -> list[RawReading]:
        history = self.registry.history(ref.device, ref.point)
        if history is None or self.registry.devices[ref.device].role(ref.point) != ref.role:
            return []
        out = []
        for reading in history.query():
            at = ts_ms(reading.ts)
            if start_ms <= at <= end_ms:
                out.append(RawReading(at, reading.value, reading.seq))
        return out

    async def point(
        self, ref: PointRef, start_ms: int, end_ms: int, step: Tier | None, max_points: int
    ) -> PointHistory:
        """``step`` None is ``auto``."""
        recorder = self.recorder
        if step is None:
            step = await self.tier(ref, start_ms, end_ms, max_points)
        if step is Tier.RAW:
            return await self._raw(ref, start_ms, end_ms, max_points)
        if recorder is None:
            folded = fold(
                ((0, r.ts_ms, r.value) for r in self._ring(ref, start_ms, end_ms)), step.width_ms
            )
            buckets = [b.finish(start) for (_, start), b in sorted(folded.items())]
            return PointHistory(step, [], buckets[-max_points:], len(buckets) > max_points)
        buckets, truncated = await recorder.store.buckets(
            ref, step, start_ms - start_ms % step.width_ms, end_ms, max_points
        )
        return PointHistory(step, [], buckets, truncated)

    async def tier(self, ref: PointRef, start_ms: int, end_ms: int, max_points: int) -> Tier:
        """What ``step=auto`` means for this window: the finest tier with at most ``max_points``."""
        recorder = self.recorder
        if recorder is None:
            estimate = len(self._ring(ref, start_ms, end_ms))
            return auto_tier(start_ms=start_ms, end_ms=end_ms, max_points=max_points,
                             raw_estimate=estimate, now_ms=start_ms, raw_keep_ms=0,
                             minute_keep_ms=0)  # fmt: skip
        try:
            estimate = await recorder.store.count_estimate(ref, start_ms, end_ms)
        except StoreUnavailable:
            return Tier.RAW  # the ring can still answer raw
        return auto_tier(
            start_ms=start_ms,
            end_ms=end_ms,
            max_points=max_points,
            raw_estimate=estimate,
            now_ms=int(self._clock() * 1000),
            raw_keep_ms=self.raw_keep_ms,
            minute_keep_ms=self.minute_keep_ms,
        )

    async def _raw(self, ref: PointRef, start_ms: int, end_ms: int, limit: int) -> PointHistory:
        ring = self._ring(ref, start_ms, end_ms)
        stored: list[RawReading] = []
        truncated = False
        recorder = self.recorder
        if recorder is not None and recorder.opened:
            try:
                stored, truncated = await recorder.store.readings(ref, start_ms, end_ms, limit)
            except StoreUnavailable:
                stored = []
        readings, truncated = _merged(stored, truncated, ring, limit)
        return PointHistory(Tier.RAW, readings, [], truncated)

    async def raw_json(self, ref: PointRef, start_ms: int, end_ms: int, limit: int) -> RawJson:
        """``step=raw`` as the JSON array text: the same readings as :meth:`point` answers, byte
        for byte what ``json.dumps`` made of them, through the store's fast path
        (:meth:`HistoryStore.readings_json`) when the store holds every reading of the ring in
        the window (the common case), or holds all but some newer than its newest (a live point:
        the last readings are still in the recorder's queue), which are appended to its text.
        Otherwise (the store lags behind older readings, failed, or is ``none``) the readings are
        merged as :meth:`point` does and encoded by the general path."""
        ring = self._ring(ref, start_ms, end_ms)
        seqs_from = min((r.ts_ms for r in ring), default=end_ms + 1)
        recorder = self.recorder
        fast: RawJson | None = None
        if recorder is not None and recorder.opened:
            with contextlib.suppress(StoreUnavailable):
                fast = await recorder.store.readings_json(ref, start_ms, end_ms, limit, seqs_from)
        if fast is None:  # no store, or it failed: the ring alone
            return RawJson.from_readings(*_merged([], False, ring, limit), seqs_from)
        held = set(fast.seqs)
        extra = sorted((r for r in ring if r.seq not in held), key=lambda r: (r.ts_ms, r.seq))
        if not extra:
            return fast
        newer = fast.last_ts_ms is None or extra[0].ts_ms > fast.last_ts_ms
        if newer and not fast.truncated and fast.count + len(extra) <= limit:
            tail = readings_text(extra)
            text = f"{fast.text[:-1]},{tail[1:]}" if fast.count else tail
            seqs = [*fast.seqs, *(r.seq for r in extra)]
            return RawJson(text, fast.count + len(extra), False, extra[-1].ts_ms, seqs)
        answer = await self._raw(ref, start_ms, end_ms, limit)
        return RawJson.from_readings(answer.readings, answer.truncated, seqs_from)

    # --- a device -----------------------------------------------------------------------------
    async def device(
        self, device: str, start_ms: int, end_ms: int, limit: int
    ) -> tuple[list[DeviceReading], bool]:
        merged: dict[int, DeviceReading] = {}
        truncated = False
        recorder = self.recorder
        if recorder is not None and recorder.opened:
            try:
                stored, truncated = await recorder.store.device_readings(
                    device, start_ms, end_ms, limit
                )
            except StoreUnavailable:
                stored = []
            merged = {r.seq: r for r in stored}
        state = self.registry.get(device)
        if state is not None:
            for point, history in state.histories.items():
                role = state.role(point)
                for reading in history.query():
                    at = ts_ms(reading.ts)
                    if start_ms <= at <= end_ms:
                        merged.setdefault(
                            reading.seq, DeviceReading(at, point, role, reading.value, reading.seq)
                        )
        ordered = sorted(merged.values(), key=lambda r: (r.ts_ms, r.seq))
        if len(ordered) > limit:
            ordered, truncated = ordered[-limit:], True
        return ordered, truncated

    async def coverage(self, device: str) -> Coverage:
        """What the store holds of the device's seq line (nothing with ``none``)."""
        if self.recorder is None:
            return device_coverage(device, [], [])
        return await self.recorder.coverage(device)


def _merged(
    stored: list[RawReading], truncated: bool, ring: list[RawReading], limit: int
) -> tuple[list[RawReading], bool]:
    """The store's readings and the ring's it lacks, deduplicated by seq, oldest first, the most
    recent ``limit``."""
    held = {r.seq for r in stored}
    extra = [r for r in ring if r.seq not in held]
    if not extra:  # the common case: the store has all of it, in order already
        return stored, truncated
    ordered = sorted([*stored, *extra], key=lambda r: (r.ts_ms, r.seq))
    if len(ordered) > limit:
        ordered, truncated = ordered[-limit:], True
    return ordered, truncated
