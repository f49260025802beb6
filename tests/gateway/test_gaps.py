"""Per-device seq tracking (pure): duplicates, gaps, the replay plan, bounds."""

from __future__ import annotations

from gateway.state import GapTracker, Seen


def test_the_first_seq_is_a_baseline_and_the_next_ones_are_new() -> None:
    gaps = GapTracker()
    assert gaps.observe("d", 100, "b", 0.0) is Seen.NEW
    assert gaps.observe("d", 101, "b", 0.0) is Seen.NEW
    assert gaps.missing("d") == []


def test_a_repeated_seq_is_seen() -> None:
    gaps = GapTracker()
    gaps.observe("d", 5, "b", 0.0)
    assert gaps.observe("d", 5, "b", 0.0) is Seen.SEEN
    assert gaps.observe("d", 3, "b", 0.0) is Seen.SEEN


def test_a_jump_opens_a_gap_that_late_readings_fill_piece_by_piece() -> None:
    gaps = GapTracker()
    gaps.observe("d", 1, "b", 0.0)
    gaps.observe("d", 10, "b", 0.0)
    assert gaps.missing("d") == [(2, 9)]
    assert gaps.observe("d", 5, "b", 0.0) is Seen.FILLED
    assert gaps.missing("d") == [(2, 4), (6, 9)]
    for seq in (2, 3, 4, 6, 7, 8, 9):
        assert gaps.observe("d", seq, "b", 0.0) is Seen.FILLED
    assert gaps.missing("d") == []
    assert gaps.observe("d", 5, "b", 0.0) is Seen.SEEN
    assert gaps.stats.opened == 1 and gaps.stats.filled == 8


def test_retained_messages_never_open_gaps() -> None:
    gaps = GapTracker()
    for seq in (40, 7, 90, 12):
        gaps.observe("d", seq, "b", 0.0, baseline=True)
    assert gaps.missing("d") == []
    assert gaps.top("d") == 90


def test_retained_state_beyond_what_was_followed_live_opens_a_gap() -> None:
    # Regression (issue 8, broker SIGKILL): the agent reconnected first and sent its backlog
    # before the gateway had resubscribed to the restarted broker, so only the retained states
    # reached the gateway; they moved its top past the backlog without asking for it.
    gaps = GapTracker()
    for seq in (40, 7, 90, 12):
        gaps.observe("d", seq, "b", 0.0, baseline=True)
    gaps.observe("d", 91, "b", 0.0)
    gaps.observe("d", 92, "b", 0.0)
    for seq in (150, 7, 149, 140):  # the resubscription's retained states
        gaps.observe("d", seq, "b", 0.0, baseline=True)
    assert gaps.missing("d") == [(93, 139), (141, 148)]
    assert gaps.top("d") == 150


def test_a_gap_is_asked_for_after_the_delay_retried_then_given_up() -> None:
    gaps = GapTracker(delay=1.0, retry=5.0, attempts=2)
    gaps.observe("d", 1, "b", 0.0)
    gaps.observe("d", 4, "b", 0.0)
    assert gaps.due(0.5) == []
    assert gaps.due(1.0) == [("d", 2, 3)]
    assert gaps.due(2.0) == []
    assert gaps.due(6.0) == [("d", 2, 3)]
    assert gaps.due(100.0) == []
    assert gaps.stats.requests == 2 and gaps.stats.given_up == 1
    # A given-up gap still counts a late arrival as new, not as a duplicate.
    assert gaps.observe("d", 3, "b", 0.0) is Seen.FILLED


def test_a_reconnect_asks_again_for_gaps_whose_attempts_were_used_up() -> None:
    # Regression (issue 8, broker SIGKILL twice): the agent's answer to a replay request died with
    # the broker, the remaining attempts fell due while the broker was down, and the gap was never
    # asked for again after the broker came back.
    gaps = GapTracker(delay=1.0, retry=1.0, attempts=3)
    gaps.observe("d", 1, "b", 0.0)
    gaps.observe("d", 5, "b", 0.0)
    for now in (1.0, 2.0, 4.0, 7.0):
        gaps.due(now)
    assert gaps.due(100.0) == [] and gaps.stats.given_up == 1
    gaps.rearm(200.0)
    assert gaps.due(200.5) == []
    assert gaps.due(201.0) == [("d", 2, 4)]
    assert gaps.due(201.5) == []


def test_a_backlog_arriving_within_the_delay_needs_no_replay() -> None:
    gaps = GapTracker(delay=1.0)
    gaps.observe("d", 1, "b", 0.0)
    gaps.observe("d", 5, "b", 0.0)
    for seq in (2, 3, 4):
        gaps.observe("d", seq, "b", 0.5)
    assert gaps.due(10.0) == []


def test_only_the_newest_window_of_seqs_is_asked_for() -> None:
    gaps = GapTracker(window=100)
    gaps.observe("d", 1, "b", 0.0)
    gaps.observe("d", 1_000_000, "b", 0.0)
    assert gaps.missing("d") == [(999_901, 999_999)]
    assert gaps.stats.lost == 999_899  # seqs 2 .. 999_900
    (request,) = gaps.due(10.0)
    assert request[2] - request[1] < 100


def test_the_number_of_open_gaps_is_bounded() -> None:
    gaps = GapTracker(max_gaps=4)
    seq = 0
    for _ in range(10):
        seq += 2
        gaps.observe("d", seq, "b", 0.0)
    assert len(gaps.missing("d")) == 4
    assert gaps.missing("d")[0] == (13, 13)


def test_a_counter_that_went_back_with_a_new_boot_starts_over() -> None:
    gaps = GapTracker()
    gaps.observe("d", 500, "old", 0.0)
    # A republished old reading of the old boot: a duplicate, not a reset.
    assert gaps.observe("d", 400, "old", 0.0, current_boot="new") is Seen.SEEN
    assert gaps.observe("d", 3, "new", 0.0, current_boot="new") is Seen.RESET
    assert gaps.observe("d", 4, "new", 0.0, current_boot="new") is Seen.NEW
    assert gaps.stats.resets == 1


def test_forgetting_a_device_restarts_its_baseline() -> None:
    gaps = GapTracker()
    gaps.observe("d", 50, "b", 0.0)
    gaps.forget("d")
    assert gaps.observe("d", 1, "b", 0.0) is Seen.NEW


# --- the recorder's seed and reopen (issue 14) ---------------------------------------------------
def test_a_seeded_device_asks_for_what_it_missed_even_from_a_retained_message() -> None:
    gaps = GapTracker(delay=1.0)
    gaps.seed("d", 100, 0.0)
    assert gaps.observe("d", 150, "b", 0.0, baseline=True) is Seen.NEW
    assert gaps.missing("d") == [(101, 149)]
    assert gaps.due(1.0) == [("d", 101, 149)]
    assert gaps.pending("d") == [(101, 149)]


def test_a_store_that_opens_late_asks_for_the_seqs_between() -> None:
    gaps = GapTracker(delay=1.0)
    gaps.observe("d", 150, "b", 0.0, baseline=True)  # retained, before the store answered
    gaps.seed("d", 100, 0.0)
    assert gaps.missing("d") == [(101, 149)]


def test_reopen_adds_only_seqs_not_asked_for_already_and_they_fill_as_usual() -> None:
    gaps = GapTracker(delay=0.0)
    for seq in range(10):
        gaps.observe("d", seq, "b", 0.0)
    gaps.observe("d", 20, "b", 0.0)  # gap 10..19
    assert gaps.reopen("d", 5, 25, 0.0) == 6  # 5..9 and 20; 10..19 open; above top ignored
    assert gaps.missing("d") == [(5, 9), (10, 19), (20, 20)]
    assert gaps.observe("d", 7, "b", 0.0) is Seen.FILLED
    assert gaps.reopen("nobody", 1, 2, 0.0) == 0


def test_given_up_gaps_are_no_longer_pending() -> None:
    gaps = GapTracker(delay=0.0, retry=1.0, attempts=1)
    gaps.observe("d", 1, "b", 0.0)
    gaps.observe("d", 5, "b", 0.0)
    assert gaps.due(0.0) == [("d", 2, 4)]
    assert gaps.due(10.0) == []
    assert gaps.pending("d") == [] and gaps.missing("d") == [(2, 4)]
