"""Recent readings of one sensor, ordered by ``seq``, bounded (the oldest go first)."""

from __future__ import annotations

from bisect import bisect_left
from typing import NamedTuple

from pigw.contract import Value


class Reading(NamedTuple):
    seq: int
    ts: str
    value: Value


class ReadingHistory:
    """At most ``limit`` readings in ``seq`` order. Live readings append (the common case, O(1));
    a replayed one is inserted where its ``seq`` belongs; a ``seq`` already held is ignored."""

    __slots__ = ("_items", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: list[Reading] = []

    def __len__(self) -> int:
        return len(self._items)

    def add(self, seq: int, ts: str, value: Value) -> bool:
        """Insert a reading; False when its seq is held already or it is older than everything
        kept in a full history."""
        items = self._items
        if not items or seq > items[-1].seq:
            items.append(Reading(seq, ts, value))
        else:
            at = bisect_left(items, seq, key=lambda r: r.seq)
            if at < len(items) and items[at].seq == seq:
                return False
            if at == 0 and len(items) >= self.limit:
                return False
            items.insert(at, Reading(seq, ts, value))
        if len(items) > self.limit:
            del items[0]
        return True

    def trim(self, limit: int) -> int:
        """Keep only the ``limit`` most recent readings; how many were dropped."""
        dropped = len(self._items) - limit
        if dropped <= 0:
            return 0
        del self._items[:dropped]
        return dropped

    def query(self, since: str | None = None, limit: int | None = None) -> list[Reading]:
        """The ``limit`` most recent readings whose ``ts`` is at or after ``since`` (a contract
        timestamp; they compare as strings), oldest first."""
        items = self._items
        if since is not None:
            items = [r for r in items if r.ts >= since]
        if limit is not None:
            items = items[-limit:] if limit > 0 else []
        return list(items)
