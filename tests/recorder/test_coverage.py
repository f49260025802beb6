"""Coverage of a device's seq line: holes, and why each is missing."""

from __future__ import annotations

from gateway.recorder.coverage import device_coverage
from gateway.recorder.records import MissingRange, MissingReason, SeqRun

REQ, UNAV = MissingReason.REQUESTED, MissingReason.UNAVAILABLE


def test_a_complete_history_has_nothing_missing() -> None:
    cov = device_coverage("d", [SeqRun(5, 104)], [])
    assert (cov.first_seq, cov.last_seq, cov.recorded, cov.missing) == (5, 104, 100, ())


def test_holes_are_requested_where_a_replay_is_pending_else_unavailable() -> None:
    cov = device_coverage("d", [SeqRun(0, 9), SeqRun(20, 29), SeqRun(40, 49)], [(12, 15)])
    assert cov.recorded == 30
    assert cov.missing == (
        MissingRange(10, 11, UNAV), MissingRange(12, 15, REQ), MissingRange(16, 19, UNAV),
        MissingRange(30, 39, UNAV),
    )  # fmt: skip


def test_a_pending_request_covering_a_hole_marks_all_of_it() -> None:
    cov = device_coverage("d", [SeqRun(0, 9), SeqRun(20, 29)], [(5, 100)])
    assert cov.missing == (MissingRange(10, 19, REQ),)


def test_an_empty_store_has_no_seq_line() -> None:
    cov = device_coverage("d", [], [(1, 2)])
    assert (cov.first_seq, cov.last_seq, cov.recorded, cov.missing) == (None, None, 0, ())
