"""seq allocation in durably reserved blocks."""

from __future__ import annotations

import pytest

from device_agent.sequence import SeqBlocks, SeqExhaustedError
from pigw.contract import SEQ_LIMIT


def test_fresh_outbox_starts_at_zero_and_reserves_before_the_first_use() -> None:
    seqs = SeqBlocks.resume(block=10, reserved_through=None, clean_next=None, highest_stored=None)
    assert seqs.next() == (0, 9)
    assert seqs.next() == (1, None)


def test_a_new_block_is_reserved_when_the_old_one_is_used_up() -> None:
    seqs = SeqBlocks(next_seq=0, reserved_through=2, block=3)
    assert [seqs.next() for _ in range(4)] == [(0, None), (1, None), (2, None), (3, 5)]


def test_clean_restart_continues_without_a_gap() -> None:
    seqs = SeqBlocks.resume(block=100, reserved_through=199, clean_next=142, highest_stored=141)
    assert seqs.next_seq == 142


def test_crash_resumes_above_the_reserved_bound() -> None:
    seqs = SeqBlocks.resume(block=100, reserved_through=199, clean_next=None, highest_stored=141)
    assert seqs.next_seq == 200


def test_never_below_what_is_stored() -> None:
    seqs = SeqBlocks.resume(block=100, reserved_through=99, clean_next=10, highest_stored=150)
    assert seqs.next_seq == 151


def test_reserve_ahead_covers_the_next_block() -> None:
    seqs = SeqBlocks.resume(block=50, reserved_through=None, clean_next=None, highest_stored=None)
    assert seqs.reserve_ahead() == 49
    assert seqs.next() == (0, None)


def test_seq_stops_at_two_to_the_53() -> None:
    seqs = SeqBlocks(next_seq=SEQ_LIMIT - 1, reserved_through=SEQ_LIMIT - 1, block=10)
    assert seqs.next() == (SEQ_LIMIT - 1, None)
    with pytest.raises(SeqExhaustedError):
        seqs.next()
