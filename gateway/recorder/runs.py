"""The seqs a store holds of one device, as sorted disjoint runs ``lo..hi``.

A device's seq goes up by one per state message, so what is recorded is nearly always one long run
with a few holes: a handful of ``[lo, hi]`` pairs describe millions of readings. The SQLite store
keeps them in memory (and in ``history_seq_runs``) to tell a new reading from a duplicate without an
index on ``(device, seq)``, which would cost ~12 bytes a reading on disk.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from gateway.recorder.records import SeqRun


class SeqRuns:
    """Sorted, disjoint, non-adjacent runs of seqs (adjacent runs are merged)."""

    __slots__ = ("_his", "_los")

    def __init__(self, runs: Iterable[tuple[int, int]] = ()) -> None:
        self._los: list[int] = []
        self._his: list[int] = []
        for lo, hi in sorted(runs):
            self._add_range(lo, hi)

    def __contains__(self, seq: int) -> bool:
        at = bisect_right(self._los, seq) - 1
        return at >= 0 and seq <= self._his[at]

    def __len__(self) -> int:
        return len(self._los)

    def add(self, seq: int) -> bool:
        """Hold ``seq``; False when it was held already."""
        los, his = self._los, self._his
        # The common case first: the next seq after the newest run.
        if his and seq == his[-1] + 1:
            his[-1] = seq
            return True
        at = bisect_right(los, seq) - 1
        if at >= 0 and seq <= his[at]:
            return False
        joins_left = at >= 0 and his[at] == seq - 1
        joins_right = at + 1 < len(los) and los[at + 1] == seq + 1
        if joins_left and joins_right:
            his[at] = his[at + 1]
            del los[at + 1], his[at + 1]
        elif joins_left:
            his[at] = seq
        elif joins_right:
            los[at + 1] = seq
        else:
            los.insert(at + 1, seq)
            his.insert(at + 1, seq)
        return True

    def _add_range(self, lo: int, hi: int) -> None:
        # Only from the constructor (sorted input): merge with the last run when they touch.
        if self._his and lo <= self._his[-1] + 1:
            self._his[-1] = max(self._his[-1], hi)
        else:
            self._los.append(lo)
            self._his.append(hi)

    def drop_below(self, seq: int) -> None:
        """Forget every seq below ``seq`` (retention deleted them)."""
        los, his = self._los, self._his
        while los and his[0] < seq:
            del los[0], his[0]
        if los and los[0] < seq:
            los[0] = seq

    @property
    def top(self) -> int | None:
        return self._his[-1] if self._his else None

    def runs(self) -> list[SeqRun]:
        return [SeqRun(lo, hi) for lo, hi in zip(self._los, self._his, strict=True)]
