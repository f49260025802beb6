"""Coverage: what the store holds of a device's seq line, and why the rest is missing.

The store knows which seqs it holds (runs); the gateway's gap tracker knows which ranges it has
asked the agent for and is still waiting on. A hole between two runs is ``requested`` where a replay
is pending and ``unavailable`` elsewhere (the agent answered without it, the tracker gave up, or a
crash or a full queue skipped it and nobody will ask again). A hole that gets filled leaves
``missing`` by itself: the runs join.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from gateway.recorder.records import Coverage, MissingRange, MissingReason, SeqRun

#: At most this many ranges are listed (the oldest first go); ``recorded`` stays exact.
MAX_LISTED_RANGES = 1000


def device_coverage(
    device: str, runs: Sequence[SeqRun], requested: Sequence[tuple[int, int]]
) -> Coverage:
    """Coverage of ``device`` from its recorded ``runs`` (ascending) and the seq ranges a replay
    is pending for (``requested``, inclusive, any order)."""
    if not runs:
        return Coverage(device, None, None, 0, ())
    pending = sorted(requested)
    missing: list[MissingRange] = []
    for left, right in pairwise(runs):
        missing.extend(_split(left.hi + 1, right.lo - 1, pending))
    return Coverage(
        device=device,
        first_seq=runs[0].lo,
        last_seq=runs[-1].hi,
        recorded=sum(run.size for run in runs),
        missing=tuple(missing[-MAX_LISTED_RANGES:]),
    )


def _split(lo: int, hi: int, pending: Sequence[tuple[int, int]]) -> list[MissingRange]:
    """The hole ``lo..hi`` cut into requested and unavailable pieces."""
    pieces: list[MissingRange] = []
    at = lo
    for p_lo, p_hi in pending:
        if p_hi < at or p_lo > hi:
            continue
        start, end = max(p_lo, at), min(p_hi, hi)
        if start > at:
            pieces.append(MissingRange(at, start - 1, MissingReason.UNAVAILABLE))
        pieces.append(MissingRange(start, end, MissingReason.REQUESTED))
        at = end + 1
        if at > hi:
            break
    if at <= hi:
        pieces.append(MissingRange(at, hi, MissingReason.UNAVAILABLE))
    return pieces
