"""One memory budget for every sensor's in-memory history together (issue 17, item 5).

``--history-size`` bounds one sensor's history; without a bound on the sum, a device that invents
points (or many devices) makes the gateway hold ``points x history_size`` readings (measured: 1,024
points x 500 readings = 107 MB). Policy at the limit, ``--history-budget`` readings in all: every
history keeps an equal share. When the total passes the budget, every history is trimmed (oldest
readings first) to 90 % of ``budget / histories``, and that share becomes the limit every history
grows to, until devices are removed and the share grows back (up to ``--history-size``). The 10 %
headroom makes the O(histories) trim rare: amortised, a reading costs O(1). A new history is not
opened once there are as many histories as the budget has readings (the point keeps its current
value; counted as ``refused``). Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from gateway.state.history import ReadingHistory
from pigw.contract import Value

#: After a trim the total is at most this share of the budget, so the next trim is far away.
TRIM_TO: Final = 0.9


@dataclass(slots=True)
class BudgetStats:
    evicted: int = 0  # readings dropped to keep the total within the budget
    trims: int = 0  # times every history was trimmed
    refused: int = 0  # histories not opened: as many histories as the budget has readings


class HistoryBudget:
    """Counts the readings of all histories and keeps their sum within ``total``."""

    __slots__ = ("_histories", "held", "limit", "per_history", "stats", "total")

    def __init__(self, per_history: int, total: int) -> None:
        self.per_history = per_history
        self.total = total
        #: The most readings one history may hold now (``per_history`` until the budget bites).
        self.limit = per_history
        self.held = 0
        self._histories = 0
        self.stats = BudgetStats()

    @property
    def histories(self) -> int:
        return self._histories

    def open(self) -> ReadingHistory | None:
        """A new, empty history within the budget, or ``None`` when none may be opened."""
        if self._histories >= self.total:
            self.stats.refused += 1
            return None
        self._histories += 1
        return ReadingHistory(self.limit)

    def add(
        self,
        history: ReadingHistory,
        seq: int,
        ts: str,
        value: Value,
        every: Callable[[], Iterable[ReadingHistory]],
    ) -> bool:
        """Add a reading to ``history`` (one :meth:`open` gave); ``every`` yields all histories,
        for the rare trim. True when the reading was stored."""
        if history.limit > self.limit:
            dropped = history.trim(self.limit)
            history.limit = self.limit
            self.held -= dropped
            self.stats.evicted += dropped
        before = len(history)
        stored = history.add(seq, ts, value)
        self.held += len(history) - before
        if self.held > self.total:
            self._trim(every())
        return stored

    def close(self, histories: Iterable[ReadingHistory]) -> None:
        """``histories`` are gone (their device was removed): their share goes back to the rest."""
        for history in histories:
            self._histories -= 1
            self.held -= len(history)
        share = self.total // max(1, self._histories)
        self.limit = max(self.limit, min(self.per_history, share))

    def _trim(self, histories: Iterable[ReadingHistory]) -> None:
        self.limit = max(1, min(self.per_history, int(TRIM_TO * self.total / self._histories)))
        self.stats.trims += 1
        for history in histories:
            dropped = history.trim(self.limit)
            history.limit = self.limit
            self.held -= dropped
            self.stats.evicted += dropped
