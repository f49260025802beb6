"""The SQLite outbox: group commits, watermark, retention, bounds, seq persistence."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from device_agent.config import OutboxSection
from device_agent.outbox import Outbox
from device_agent.readings import build_state
from pigw.contract import decode_backlog

NOW = 1_790_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def store(outbox: Outbox, count: int, point: str = "t1", at: float = NOW) -> list[int]:
    seqs = []
    for n in range(count):
        seq = outbox.allocate()
        outbox.append(build_state(point, True, float(n), "°C", seq=seq, boot="b1", now=at))
        seqs.append(seq)
    return seqs


def open_outbox(path: Path, clock: Clock | None = None, **policy: float) -> Outbox:
    return Outbox(path, OutboxSection(**policy), clock or Clock())  # type: ignore[arg-type]


def test_rows_reach_disk_only_at_commit(tmp_path: Path) -> None:
    outbox = open_outbox(tmp_path / "o.sqlite")
    store(outbox, 3)
    probe = sqlite3.connect(tmp_path / "o.sqlite")
    assert probe.execute("SELECT COUNT(*) FROM states").fetchone()[0] == 0
    assert outbox.commit() == 2
    assert probe.execute("SELECT COUNT(*) FROM states").fetchone()[0] == 3
    probe.close()
    outbox.close()


def test_a_full_batch_commits_at_once(tmp_path: Path) -> None:
    outbox = open_outbox(tmp_path / "o.sqlite", batch_rows=5)
    store(outbox, 5)
    assert outbox.durable_through == 4
    outbox.close()


def test_wal_mode(tmp_path: Path) -> None:
    outbox = open_outbox(tmp_path / "o.sqlite")
    mode = outbox._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    outbox.close()


def test_acknowledged_watermark_advances_over_contiguous_acks(tmp_path: Path) -> None:
    outbox = open_outbox(tmp_path / "o.sqlite")
    store(outbox, 5)
    outbox.mark_acked([0, 1, 3])
    assert outbox.acked_through == 1
    outbox.mark_acked([2])
    assert outbox.acked_through == 3
    assert [s.seq for s in outbox.unacknowledged(set(), 100)] == [4]
    outbox.close()


def test_unacknowledged_rows_survive_a_restart_and_exclude_in_flight(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    outbox = open_outbox(path)
    store(outbox, 4)
    outbox.mark_acked([0])
    outbox.close()
    again = open_outbox(path)
    assert [s.seq for s in again.unacknowledged({2}, 100)] == [1, 3]
    again.close()


def test_clean_restart_continues_the_seq_without_a_gap(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    outbox = open_outbox(path)
    store(outbox, 3)
    outbox.close()
    again = open_outbox(path)
    assert again.allocate() == 3
    again.close()


def test_crash_resumes_above_the_reserved_block(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    outbox = open_outbox(path, seq_block=100)
    store(outbox, 3)
    outbox.commit()
    outbox._db.close()  # no close(): as if killed
    again = open_outbox(path, seq_block=100)
    assert again.allocate() == 100
    assert [s.seq for s in again.unacknowledged(set(), 10)] == [0, 1, 2]
    again.close()


def test_seq_is_never_reused_when_killed_right_after_a_new_block(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    outbox = open_outbox(path, seq_block=2)
    store(outbox, 3)  # seq 2 opened the block [2, 3]; its bound is on disk before seq 2 is used
    outbox._db.close()
    again = open_outbox(path, seq_block=2)
    assert again.allocate() == 4
    again.close()


def test_committed_rows_survive_a_kill_uncommitted_ones_need_the_commit(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    outbox = open_outbox(path)
    store(outbox, 2)
    durable = outbox.commit()
    store(outbox, 2)  # appended, not committed: not yet acknowledged to the caller
    outbox._db.close()
    again = open_outbox(path)
    held = [s.seq for s in again.between(0, 100, 100)]
    assert held == list(range(durable + 1))
    again.close()


def test_acknowledged_rows_are_kept_for_replay_up_to_the_row_limit(tmp_path: Path) -> None:
    outbox = open_outbox(tmp_path / "o.sqlite", keep_acked_rows=3)
    seqs = store(outbox, 10)
    outbox.mark_acked(seqs)
    outbox.commit()
    assert [s.seq for s in outbox.between(0, 100, 100)] == [7, 8, 9]
    outbox.close()


def test_acknowledged_rows_older_than_the_age_limit_are_pruned(tmp_path: Path) -> None:
    clock = Clock()
    outbox = open_outbox(tmp_path / "o.sqlite", clock, keep_acked_age=60)
    old = store(outbox, 2, at=NOW - 120)
    fresh = store(outbox, 2, at=NOW)
    outbox.mark_acked(old + fresh)
    outbox.commit()
    assert [s.seq for s in outbox.between(0, 100, 100)] == fresh
    outbox.close()


def test_the_table_bound_drops_the_oldest_and_counts_it(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    outbox = open_outbox(path, max_rows=100)
    store(outbox, 130)
    outbox.commit()
    assert outbox.rows == 100
    assert outbox.dropped == 30
    assert outbox.unacknowledged(set(), 1)[0].seq == 30
    outbox.close()
    again = open_outbox(path, max_rows=100)
    assert again.dropped == 30  # the counter is persisted
    again.close()


def test_unacknowledged_rows_beyond_the_age_bound_are_dropped(tmp_path: Path) -> None:
    outbox = open_outbox(tmp_path / "o.sqlite", max_age=3600)
    store(outbox, 2, at=NOW - 7200)
    store(outbox, 1, at=NOW)
    outbox.commit()
    assert outbox.dropped == 2
    assert [s.seq for s in outbox.unacknowledged(set(), 10)] == [2]
    outbox.close()


def test_idle_outbox_does_not_write(tmp_path: Path) -> None:
    outbox = open_outbox(tmp_path / "o.sqlite")
    store(outbox, 1)
    outbox.commit()
    commits = outbox.commits
    outbox.commit()
    outbox.commit()
    assert outbox.commits == commits
    outbox.close()


def test_backlog_entries_keep_their_original_seq_and_payload(tmp_path: Path) -> None:
    outbox = open_outbox(tmp_path / "o.sqlite")
    store(outbox, 2, point="door")
    stored = outbox.between(1, 1, 10)[0]
    [entry] = decode_backlog(b"[" + stored.backlog_item() + b"]")
    assert (entry.seq, entry.sensor, entry.hist, entry.value) == (1, "door", True, 1.0)
    assert json.loads(stored.payload).items() <= json.loads(stored.backlog_item()).items()
    outbox.close()
