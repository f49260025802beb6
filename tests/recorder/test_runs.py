"""Seq runs: how a store tells a new reading from a duplicate without an index."""

from __future__ import annotations

import random

from gateway.recorder.records import SeqRun
from gateway.recorder.runs import SeqRuns


def test_consecutive_seqs_make_one_run_and_repeats_are_refused() -> None:
    runs = SeqRuns()
    assert all(runs.add(s) for s in range(100))
    assert not runs.add(50)
    assert runs.runs() == [SeqRun(0, 99)]


def test_holes_open_and_close() -> None:
    runs = SeqRuns()
    for seq in (1, 2, 5, 6, 9):
        runs.add(seq)
    assert runs.runs() == [SeqRun(1, 2), SeqRun(5, 6), SeqRun(9, 9)]
    runs.add(3)
    runs.add(4)
    assert runs.runs() == [SeqRun(1, 6), SeqRun(9, 9)]
    runs.add(0)
    runs.add(8)
    runs.add(7)
    assert runs.runs() == [SeqRun(0, 9)] and runs.top == 9


def test_random_order_matches_a_set() -> None:
    rng = random.Random(3)
    seqs = rng.sample(range(500), 300) * 2
    runs, seen = SeqRuns(), set()
    for seq in seqs:
        assert runs.add(seq) == (seq not in seen)
        seen.add(seq)
    held = {s for r in runs.runs() for s in range(r.lo, r.hi + 1)}
    assert held == seen


def test_loaded_runs_merge_and_drop_below_trims() -> None:
    runs = SeqRuns([(10, 20), (0, 5), (6, 8)])
    assert runs.runs() == [SeqRun(0, 8), SeqRun(10, 20)]
    runs.drop_below(12)
    assert runs.runs() == [SeqRun(12, 20)] and 11 not in runs and 12 in runs
