"""The disk outbox: every state message, until the broker acknowledged it and for a while after
(for replay requests). SQLite in WAL mode, group-committed (docs/agent.md, "Outbox").

Write path: :meth:`Outbox.append` only queues the row in memory; :meth:`Outbox.commit` writes the
queued rows and the "acknowledged through" watermark in ONE transaction (and, once a minute, the
pruning). The agent commits every ``commit_interval`` (5 s) or when ``batch_rows`` rows wait, so an
SD card sees one small write every few seconds however busy the sensors are. Pages are 1 KiB (a
commit of a few readings rewrites a few KiB, not a few 4 KiB pages), and each commit is fsync'd
(``synchronous=FULL``): a committed transaction survives the process being killed at any instant
(SIGKILL, OOM) and a power cut alike, and the file is never corrupted. What a kill or a power cut
may lose is what was not committed yet: the readings of the last ``commit_interval`` seconds (the
"power-cut window", docs/agent.md, "Outbox"; tests/reliability/test_outbox_power_cut.py holds the
outbox to it).

"Acknowledged to the caller" means committed: :meth:`commit` returns the highest seq that is now
on disk, and :attr:`Outbox.durable_through` keeps it.

Seqs come from :class:`~device_agent.sequence.SeqBlocks`; each new block's upper bound is written
with ``synchronous=FULL`` (an fsync) before the first seq of the block is handed out.
"""

from __future__ import annotations

import heapq
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from device_agent.config import OutboxSection
from device_agent.readings import StoredState
from device_agent.sequence import SeqBlocks

log = logging.getLogger(__name__)

#: Bytes per database page for new files (SQLite's default is 4096); older files are converted once.
PAGE_SIZE = 1024
#: Seconds between prunings of the retention policy's rows (between, the table may hold one
#: interval's readings beyond ``keep_acked_rows``); the ``max_rows`` bound is checked at every commit.
PRUNE_INTERVAL = 60.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS states (
    seq INTEGER PRIMARY KEY,
    point TEXT NOT NULL,
    is_sensor INTEGER NOT NULL,
    ts_ms INTEGER NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS agent_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

# Rows beyond the table's bound: older than max_age, or the oldest beyond max_rows.
_VICTIMS = (
    "SELECT seq FROM states WHERE ts_ms < ? OR seq IN (SELECT seq FROM states ORDER BY seq LIMIT ?)"
)
_DROP = "DELETE FROM states WHERE ts_ms < ? OR seq IN (SELECT seq FROM states ORDER BY seq LIMIT ?)"


class OutboxError(RuntimeError):
    """The outbox file cannot be opened or used."""


class Outbox:
    """One SQLite file per device. Used from one thread only (the agent's loop)."""

    def __init__(
        self, path: Path, policy: OutboxSection, clock: Callable[[], float] = time.time
    ) -> None:
        self.path = path
        self.policy = policy
        self.clock = clock
        self._pending: list[StoredState] = []
        self._outstanding: set[int] = set()  # seqs stored but not acknowledged by the broker
        self._lowest: list[int] = []  # a min-heap over _outstanding (stale entries popped lazily)
        self._acked_through = -1
        self._saved_acked_through = -1
        self._rows = 0
        self.dropped = 0  # unacknowledged rows dropped by the size/age bound (persisted)
        self.commits = 0  # transactions written since start (the SD-card write count)
        self.durable_through = -1
        self._pruned_at = float("-inf")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None)
            self._set_page_size()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise OutboxError(f"cannot open outbox {path}: {exc}") from exc
        self.seqs = self._resume()

    # --- start-up ---------------------------------------------------------------------------
    def _set_page_size(self) -> None:
        """1 KiB pages; a file from an older agent (4 KiB pages) is rewritten once (VACUUM)."""
        (size,) = self._db.execute("PRAGMA page_size").fetchone()
        if size == PAGE_SIZE:
            return
        (tables,) = self._db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        self._db.execute("PRAGMA journal_mode=DELETE")
        self._db.execute(f"PRAGMA page_size={PAGE_SIZE}")
        if tables:
            log.info(
                "outbox: converting to %d-byte pages (once)",
                PAGE_SIZE,
                extra={"outbox": str(self.path)},
            )
            self._db.execute("VACUUM")

    def _resume(self) -> SeqBlocks:
        meta = dict(self._db.execute("SELECT key, value FROM agent_meta").fetchall())
        highest = self._db.execute("SELECT MAX(seq) FROM states").fetchone()[0]
        seqs = SeqBlocks.resume(
            self.policy.seq_block, meta.get("reserved_through"), meta.get("clean_next"), highest
        )
        self._acked_through = self._saved_acked_through = int(meta.get("acked_through", -1))
        self.dropped = int(meta.get("dropped", 0))
        self._rows = self._db.execute("SELECT COUNT(*) FROM states").fetchone()[0]
        self._outstanding = {
            row[0]
            for row in self._db.execute(
                "SELECT seq FROM states WHERE seq > ?", (self._acked_through,)
            )
        }
        self._lowest = sorted(self._outstanding)
        self.durable_through = seqs.next_seq - 1
        # From here on a crash must resume above this bound: reserve the first block now and
        # forget the clean-shutdown marker, in one fsync'd transaction.
        bound = seqs.reserve_ahead()
        self._write_meta({"reserved_through": bound}, delete=("clean_next",))
        if meta and "clean_next" not in meta:
            log.warning(
                "outbox: the previous run did not shut down cleanly; seq resumes at %d",
                seqs.next_seq,
                extra={"outbox": str(self.path)},
            )
        return seqs

    # --- writing ----------------------------------------------------------------------------
    def allocate(self) -> int:
        """The next seq; when it opens a new block, the block's bound is fsync'd first."""
        seq, bound = self.seqs.next()
        if bound is not None:
            self._flush_rows()
            self._write_meta({"reserved_through": bound})
        return seq

    def append(self, state: StoredState) -> None:
        """Queue ``state`` for the next commit (and commit now if the batch is full)."""
        self._pending.append(state)
        self._outstanding.add(state.seq)
        heapq.heappush(self._lowest, state.seq)
        if len(self._pending) >= self.policy.batch_rows:
            self.commit()

    def mark_acked(self, seqs: Iterable[int]) -> None:
        """The broker acknowledged these seqs (PUBACK); the watermark moves at the next commit."""
        for seq in seqs:
            self._outstanding.discard(seq)
        lowest = self._lowest
        while lowest and lowest[0] not in self._outstanding:
            heapq.heappop(lowest)
        floor = lowest[0] - 1 if lowest else self.seqs.next_seq - 1
        self._acked_through = max(self._acked_through, floor)

    @property
    def acked_through(self) -> int:
        return self._acked_through

    @property
    def dirty(self) -> bool:
        return bool(self._pending) or self._acked_through != self._saved_acked_through

    def commit(self) -> int:
        """Write queued rows, the watermark and the pruning in one transaction; return the highest
        seq now on disk (every reading up to it survives a crash of the process)."""
        if not self.dirty:
            return self.durable_through
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._insert_pending()
            self._prune()
            self._upsert({"acked_through": self._acked_through, "dropped": self.dropped})
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise OutboxError(f"outbox commit failed: {exc}") from exc
        self.commits += 1
        self._saved_acked_through = self._acked_through
        self.durable_through = self.seqs.next_seq - 1
        return self.durable_through

    def close(self) -> None:
        """Commit, record the exact next seq (a clean restart continues without a gap), close."""
        try:
            self.commit()
            self._write_meta({"clean_next": self.seqs.next_seq})
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self._db.close()

    # --- reading ----------------------------------------------------------------------------
    def unacknowledged(self, exclude: set[int], limit: int) -> list[StoredState]:
        """Stored states the broker has not acknowledged, oldest first, leaving out ``exclude``
        (those still in flight in the MQTT client)."""
        self._flush_rows()
        rows = self._db.execute(
            "SELECT seq, point, is_sensor, payload, ts_ms FROM states WHERE seq > ? ORDER BY seq",
            (self._acked_through,),
        )
        found: list[StoredState] = []
        for seq, point, is_sensor, payload, ts_ms in rows:
            if seq in self._outstanding and seq not in exclude:
                found.append(StoredState(seq, point, bool(is_sensor), bytes(payload), ts_ms))
                if len(found) >= limit:
                    break
        return found

    def between(self, first: int, last: int, limit: int) -> list[StoredState]:
        """Stored states with ``first <= seq <= last``, oldest first (for replay requests)."""
        self._flush_rows()
        rows = self._db.execute(
            "SELECT seq, point, is_sensor, payload, ts_ms FROM states "
            "WHERE seq BETWEEN ? AND ? ORDER BY seq LIMIT ?",
            (first, last, limit),
        )
        return [StoredState(s, p, bool(k), bytes(b), t) for s, p, k, b, t in rows]

    @property
    def rows(self) -> int:
        return self._rows + len(self._pending)

    @property
    def outstanding(self) -> int:
        return len(self._outstanding)

    # --- internals --------------------------------------------------------------------------
    def _flush_rows(self) -> None:
        if self._pending:
            self.commit()

    def _insert_pending(self) -> None:
        if not self._pending:
            return
        self._db.executemany(
            "INSERT OR REPLACE INTO states (seq, point, is_sensor, ts_ms, payload) "
            "VALUES (?, ?, ?, ?, ?)",
            [(s.seq, s.point, int(s.is_sensor), s.ts_ms, s.payload) for s in self._pending],
        )
        self._rows += len(self._pending)
        self._pending = []

    def _prune(self) -> None:
        policy = self.policy
        now = self.clock()
        if now - self._pruned_at < PRUNE_INTERVAL and self._rows <= policy.max_rows:
            return  # rewriting the oldest pages every commit would double the writes
        self._pruned_at = now
        now_ms = int(now * 1000)
        # Acknowledged rows kept for replay: the newest keep_acked_rows, none older than the age.
        cursor = self._db.execute(
            "DELETE FROM states WHERE seq <= ? AND (seq <= ? OR ts_ms < ?)",
            (
                self._acked_through,
                self._acked_through - policy.keep_acked_rows,
                now_ms - int(policy.keep_acked_age * 1000),
            ),
        )
        self._rows -= cursor.rowcount
        # The whole table: drop the oldest rows beyond max_rows or max_age, acknowledged or not.
        excess = self._rows - policy.max_rows
        cutoff_ms = now_ms - int(policy.max_age * 1000)
        bounds = (cutoff_ms, max(0, excess))
        victims = [row[0] for row in self._db.execute(_VICTIMS, bounds)]
        if not victims:
            return
        self._db.execute(_DROP, bounds)
        lost = [seq for seq in victims if seq in self._outstanding]
        if lost:
            self.dropped += len(lost)
            self._outstanding.difference_update(lost)
            log.warning(
                "outbox full: dropped %d unacknowledged readings (seq %d..%d)",
                len(lost),
                min(lost),
                max(lost),
                extra={"dropped_total": self.dropped},
            )
            self.mark_acked(())
        self._rows -= len(victims)

    def _upsert(self, values: dict[str, int]) -> None:
        self._db.executemany(
            "INSERT INTO agent_meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            list(values.items()),
        )

    def _write_meta(self, values: dict[str, int], delete: tuple[str, ...] = ()) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._upsert(values)
            for key in delete:
                self._db.execute("DELETE FROM agent_meta WHERE key = ?", (key,))
            self._db.execute("COMMIT")
            self.commits += 1
        except sqlite3.Error as exc:
            self._rollback()
            raise OutboxError(f"outbox write failed: {exc}") from exc

    def _rollback(self) -> None:
        try:
            self._db.execute("ROLLBACK")
        except sqlite3.Error:
            log.debug("outbox: nothing to roll back")
