"""Per-device ``seq`` tracking: duplicates, gaps, and the replay requests that close gaps.

CONTRACT.md: every state message of a device (sensor or actuator, live or backlog) takes the next
``seq``; a repeated ``(device, seq)`` is the same reading; a consumer that sees a gap asks for the
missing range on ``<p>/<dev>/replay``. For each device we keep the highest seq seen (``top``) and
the ranges below it not seen yet (``missing``). A seq above ``top`` is new (and may open a gap); a
seq in ``missing`` fills it; anything else at or below ``top`` was seen already.

Retained messages are the broker's *current* state per topic: their seqs are scattered (each
sensor's last reading), so on the first load they move ``top`` but never open a gap. Once the
gateway has followed a device live, though, a retained seq above ``top`` after a reconnect means
that state messages passed while the gateway was away — for instance a backlog the agent sent to a
restarted broker before the gateway had resubscribed (a broker without persistence forgets the
gateway's session): that range is a gap like any other (issue 8, scenario 1). A gap is asked for only after
``delay`` (a backlog may be on its way already), at most ``attempts`` times ``retry`` apart, and
only for the newest ``window`` seqs (what an agent keeps by default); older ones are counted lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pigw.contract import MAX_REPLAY_SPAN


class Seen(StrEnum):
    NEW = "new"  # above everything seen
    FILLED = "filled"  # inside a known gap: a replayed or late reading
    SEEN = "seen"  # at or below top and not missing: a duplicate (or, if retained, a baseline)
    RESET = "reset"  # the device's counter went back with a new boot: tracking started over


@dataclass(slots=True)
class Gap:
    lo: int
    hi: int
    attempts: int = 0
    due: float = 0.0


@dataclass(slots=True)
class GapStats:
    opened: int = 0  # gaps noticed
    filled: int = 0  # missing seqs that arrived later
    requests: int = 0  # replay requests planned
    given_up: int = 0  # gaps still open after the last attempt
    lost: int = 0  # missing seqs no longer asked for (too old, too many gaps)
    resets: int = 0  # counters that went backwards with a new boot


@dataclass(slots=True)
class _Device:
    top: int | None = None
    top_boot: str | None = None
    #: a live (not retained) message was seen: ``top`` is what the gateway followed live
    live: bool = False
    gaps: list[Gap] = field(default_factory=list)


class GapTracker:
    """Seq tracking for every device, and the replay plan."""

    def __init__(
        self,
        *,
        delay: float = 1.0,
        retry: float = 5.0,
        attempts: int = 3,
        window: int = MAX_REPLAY_SPAN,
        max_gaps: int = 32,
    ) -> None:
        self.delay = delay
        self.retry = retry
        self.attempts = attempts
        self.window = window
        self.max_gaps = max_gaps
        self.stats = GapStats()
        self._devices: dict[str, _Device] = {}

    def observe(
        self,
        device: str,
        seq: int,
        boot: str,
        now: float,
        *,
        baseline: bool = False,
        current_boot: str | None = None,
    ) -> Seen:
        """Record ``seq`` of ``device``. ``baseline``: a retained message (opens a gap only
        above a ``top`` that was followed live). ``current_boot``: the boot id of the device's meta, to tell a counter that went back after
        the device lost its state (``RESET``) from a republished old reading (``SEEN``)."""
        state = self._devices.get(device)
        if state is None:
            state = self._devices[device] = _Device()
        top = state.top
        followed_live = state.live
        if not baseline:
            state.live = True
        if top is None or seq > top:
            if top is not None and seq > top + 1 and (followed_live or not baseline):
                self._open(state, top + 1, seq - 1, now)
            state.top = seq
            state.top_boot = boot
            self._trim(state)
            return Seen.NEW
        for index, gap in enumerate(state.gaps):
            if gap.lo <= seq <= gap.hi:
                self._fill(state, index, gap, seq)
                return Seen.FILLED
        if (
            not baseline
            and current_boot is not None
            and boot == current_boot
            and boot != state.top_boot
            and seq < top
        ):
            # A live reading of the device's current boot below what an earlier boot reached:
            # the device lost its counter (a new SD card, say). Start over rather than drop
            # everything it says from now on as a duplicate.
            self.stats.resets += 1
            self.stats.lost += sum(g.hi - g.lo + 1 for g in state.gaps)
            state.gaps.clear()
            state.top = seq
            state.top_boot = boot
            return Seen.RESET
        return Seen.SEEN

    def due(self, now: float) -> list[tuple[str, int, int]]:
        """The replay requests to send now: ``(device, from_seq, to_seq)``. Each gap is asked for
        at most ``attempts`` times; after that it is given up (still filled if it arrives)."""
        requests: list[tuple[str, int, int]] = []
        for device, state in self._devices.items():
            for gap in state.gaps:
                if gap.due > now:
                    continue
                if gap.attempts >= self.attempts:
                    gap.due = float("inf")
                    self.stats.given_up += 1
                    continue
                gap.attempts += 1
                gap.due = now + self.retry * gap.attempts
                requests.append((device, gap.lo, gap.hi))
        self.stats.requests += len(requests)
        return requests

    def rearm(self, now: float) -> None:
        """The gateway (re)connected to the broker: ask for every open gap again, ``delay`` from
        now, with all its attempts. Answers to earlier requests may have died with the broker,
        and requests planned while disconnected were never sent (issue 8, scenario 1)."""
        for state in self._devices.values():
            for gap in state.gaps:
                gap.attempts = 0
                gap.due = now + self.delay

    def seed(self, device: str, top: int, now: float) -> None:
        """The history store holds this device up to ``top`` (issue 14): follow it as if live, so
        the first newer seq, retained or not, opens a gap that is asked for. If the gateway has
        seen a newer seq already (the store opened late), the seqs in between are asked for."""
        state = self._devices.get(device)
        if state is None:
            state = self._devices[device] = _Device()
        state.live = True
        if state.top is None:
            state.top = top
        elif state.top > top + 1:
            self.reopen(device, top + 1, state.top - 1, now)

    def reopen(self, device: str, lo: int, hi: int, now: float) -> int:
        """Ask again for ``lo..hi`` (seen, but not recorded: the recorder could not keep them).
        Only seqs not already in an open gap, at or below ``top`` and inside the replay window
        are added; returns how many."""
        state = self._devices.get(device)
        if state is None or state.top is None:
            return 0
        lo = max(lo, state.top - self.window + 1, 0)
        hi = min(hi, state.top)
        added = 0
        for piece_lo, piece_hi in _subtract(lo, hi, [(g.lo, g.hi) for g in state.gaps]):
            state.gaps.append(Gap(piece_lo, piece_hi, due=now + self.delay))
            added += piece_hi - piece_lo + 1
        if added:
            self.stats.opened += 1
            state.gaps.sort(key=lambda g: g.lo)
            self._limit_count(state)
        return added

    def pending(self, device: str) -> list[tuple[int, int]]:
        """The open gaps still to be asked for or answered (not given up)."""
        state = self._devices.get(device)
        if state is None:
            return []
        return [(g.lo, g.hi) for g in state.gaps if g.due != float("inf")]

    def missing(self, device: str) -> list[tuple[int, int]]:
        state = self._devices.get(device)
        return [(g.lo, g.hi) for g in state.gaps] if state else []

    def top(self, device: str) -> int | None:
        state = self._devices.get(device)
        return state.top if state else None

    def forget(self, device: str) -> None:
        """The device was removed: its next reading starts a new baseline."""
        self._devices.pop(device, None)

    def _open(self, state: _Device, lo: int, hi: int, now: float) -> None:
        self.stats.opened += 1
        state.gaps.append(Gap(lo, hi, due=now + self.delay))

    def _fill(self, state: _Device, index: int, gap: Gap, seq: int) -> None:
        self.stats.filled += 1
        if gap.lo == gap.hi:
            del state.gaps[index]
        elif seq == gap.lo:
            gap.lo += 1
        elif seq == gap.hi:
            gap.hi -= 1
        else:
            state.gaps.insert(index + 1, Gap(seq + 1, gap.hi, gap.attempts, gap.due))
            gap.hi = seq - 1
            self._limit_count(state)

    def _trim(self, state: _Device) -> None:
        # Only the newest `window` seqs can still be replayed (the agent's default retention and
        # the contract's largest replay span); older missing seqs are lost.
        assert state.top is not None
        floor = state.top - self.window + 1
        kept: list[Gap] = []
        for gap in state.gaps:
            if gap.hi < floor:
                self.stats.lost += gap.hi - gap.lo + 1
            elif gap.lo < floor:
                self.stats.lost += floor - gap.lo
                gap.lo = floor
                kept.append(gap)
            else:
                kept.append(gap)
        state.gaps = kept
        self._limit_count(state)

    def _limit_count(self, state: _Device) -> None:
        while len(state.gaps) > self.max_gaps:
            oldest = state.gaps.pop(0)
            self.stats.lost += oldest.hi - oldest.lo + 1


def _subtract(lo: int, hi: int, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``lo..hi`` without the (inclusive) ranges in ``taken``."""
    pieces: list[tuple[int, int]] = []
    at = lo
    for t_lo, t_hi in sorted(taken):
        if t_hi < at or t_lo > hi:
            continue
        if t_lo > at:
            pieces.append((at, t_lo - 1))
        at = max(at, t_hi + 1)
    if at <= hi:
        pieces.append((at, hi))
    return pieces
