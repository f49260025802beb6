"""Per-device ``seq`` allocation in durably reserved blocks (CONTRACT.md: seq is persisted and never
reused across restarts). Pure: the outbox persists the numbers this class asks for.

A seq may be used only once the upper bound of its block is on disk with an fsync. A clean shutdown
records the exact next seq, so a normal restart continues without a gap; after a crash or power cut
the agent resumes above the reserved bound, and consumers see a gap of at most one block, which a
replay request answers with whatever the outbox holds (nothing: those seqs were never used).
"""

from __future__ import annotations

from pigw.contract import SEQ_LIMIT


class SeqExhaustedError(RuntimeError):
    """2^53 state messages: cannot happen in practice (285 million years at 1,000/s)."""


class SeqBlocks:
    """Hands out seqs; :meth:`next` returns the seq and, when a new block must be reserved first,
    the new bound that the caller must persist durably *before* publishing that seq."""

    __slots__ = ("block", "next_seq", "reserved_through")

    def __init__(self, next_seq: int, reserved_through: int, block: int) -> None:
        if block < 1:
            raise ValueError("block must be >= 1")
        self.next_seq = next_seq
        self.reserved_through = reserved_through  # every seq <= this may be used
        self.block = block

    @classmethod
    def resume(
        cls,
        block: int,
        reserved_through: int | None,
        clean_next: int | None,
        highest_stored: int | None,
    ) -> SeqBlocks:
        """The allocator after a restart. ``clean_next`` is the exact next seq recorded by a clean
        shutdown (``None`` after a crash); ``reserved_through`` the durable bound (``None`` on a
        fresh outbox); ``highest_stored`` the highest seq in the outbox."""
        if reserved_through is None:
            start = 0
        elif clean_next is not None:
            start = clean_next
        else:
            start = reserved_through + 1
        if highest_stored is not None:
            start = max(start, highest_stored + 1)
        # Nothing above start-1 is reserved until the caller persists a new bound.
        return cls(start, start - 1, block)

    def next(self) -> tuple[int, int | None]:
        """``(seq, new_bound)``: ``new_bound`` is not ``None`` when it must be made durable first."""
        seq = self.next_seq
        if seq >= SEQ_LIMIT:
            raise SeqExhaustedError("seq reached 2^53")
        new_bound = None
        if seq > self.reserved_through:
            new_bound = min(seq + self.block - 1, SEQ_LIMIT - 1)
            self.reserved_through = new_bound
        self.next_seq = seq + 1
        return seq, new_bound

    def reserve_ahead(self) -> int:
        """A bound covering the next block from now (used at start-up, before any publish)."""
        self.reserved_through = min(self.next_seq + self.block - 1, SEQ_LIMIT - 1)
        return self.reserved_through
