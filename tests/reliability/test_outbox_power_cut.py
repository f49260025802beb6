"""Scenario 7: the agent's outbox after a simulated power cut. A child process writes to the real
:class:`~device_agent.outbox.Outbox` in bursts, group-committing every ``commit_interval`` as the
agent does, and is SIGKILLed at a random instant — during the open, a batch, a seq-block
reservation, a commit, a pruning — again and again on the same file. After every kill:

* the database passes SQLite's ``integrity_check`` and the next run opens it with the agent's own
  code (docs/agent.md: "after a power cut the database always opens");
* no reading that was acknowledged to the caller is missing: every seq up to the last
  ``Outbox.commit()`` return value the child reported is on disk, except acknowledged rows the
  retention policy may prune (``keep_acked_rows``);
* seqs are never reused: each run starts above every seq any earlier run handed out;
* the power-cut window holds: no reading handed out more than :data:`WINDOW` (the commit interval
  plus the time one commit may take) before the kill is missing. That bound, with the agent's
  ``commit_interval``, is the window docs/agent.md ("Outbox") documents; the figures report the
  oldest reading a kill actually lost.

A SIGKILL loses what the process held, not what the kernel held: this is the "killed at any
instant" half of the durability contract. The other half (the page cache lost too, only the
commits since the last checkpoint at risk) needs a real power cut and is not simulated here.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from device_agent.outbox import Outbox
from tests.reliability.conftest import Figures
from tests.reliability.outbox_child import POLICY
from tests.support.processes import REPO
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

#: Seconds of readings a kill may lose: one commit interval, plus what one commit (and the loaded
#: machine scheduling the child) may take.
COMMIT_SLACK = 0.5
WINDOW = POLICY.commit_interval + COMMIT_SLACK


@dataclass
class Child:
    """One run of the writer, its reports collected by a reader thread."""

    path: Path
    seed: int
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.reliability.outbox_child",
                str(self.path),
                str(self.seed),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.strip())

    def saw(self, word: str) -> bool:
        if self.proc.poll() is not None:
            assert self.proc.stderr is not None
            raise AssertionError(f"the writer exited by itself:\n{self.proc.stderr.read()}")
        return any(line.split()[0] == word for line in list(self.lines))

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)
        self._reader.join(10)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.proc.stdout.close()
        self.proc.stderr.close()

    def allocations(self) -> list[tuple[int, float]]:
        """(highest seq handed out, when) for every burst the child reported."""
        rows = [line.split() for line in self.lines if line.split()[0] == "allocated"]
        return [(int(row[1]), float(row[2])) for row in rows]

    def last(self, word: str) -> int | None:
        found = [line.split() for line in self.lines if line.split()[0] == word]
        return int(found[-1][1]) if found else None

    def start(self) -> int | None:
        return self.last("start")


def check_file(path: Path) -> tuple[str, set[int]]:
    with closing(sqlite3.connect(path)) as db:
        (integrity,) = db.execute("PRAGMA integrity_check").fetchone()
        seqs = {row[0] for row in db.execute("SELECT seq FROM states")}
    return integrity, seqs


def power_cuts(tmp_path: Path, figures: Figures, *, cuts: int, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "outbox.sqlite"
    must_have: set[int] = set()  # seqs acknowledged to the caller (commit() returned them)
    prune_floor = -1  # acknowledged rows at or below this may be pruned by the retention policy
    allocated_top = -1  # the highest seq any run handed out
    during_open = skipped = verified = 0
    lost_ages: list[float] = []  # per kill: how old the oldest reading it lost was (s)
    for run in range(cuts):
        child = Child(path, seed * 1000 + run)
        if rng.random() < 0.2:  # kill while it opens (resume, block reservation, marker delete)
            wait_until(lambda c=child: c.saw("opening"), 60, "the writer to start")
            time.sleep(rng.uniform(0.0, 0.05))  # fault injection: a random instant, not a wait
            during_open += 1
        else:
            wait_until(lambda c=child: c.saw("start"), 60, "the writer to open the outbox")
            time.sleep(rng.uniform(0.0, 1.0))  # fault injection: a random instant, not a wait
        killed_at = time.monotonic()
        child.kill()
        start = child.start()
        if start is not None:
            assert start > allocated_top, f"run {run} reuses seqs: starts at {start}"
            skipped += start - allocated_top - 1
        durable = child.last("durable")
        if start is not None and durable is not None and durable >= start:
            must_have.update(range(start, durable + 1))
        acked = child.last("acked")
        if acked is not None:
            prune_floor = max(prune_floor, acked - POLICY.keep_acked_rows)
        allocated = child.last("allocated")
        if allocated is not None:
            allocated_top = max(allocated_top, allocated)
        integrity, on_disk = check_file(path)
        assert integrity == "ok", f"after run {run}: {integrity}"
        required = {seq for seq in must_have if seq > prune_floor}
        missing = required - on_disk
        assert missing == set(), (
            f"after run {run}: acknowledged readings lost: {sorted(missing)[:20]}"
        )
        verified += len(required)
        if start is not None:
            lost_ages.append(oldest_lost(child, start, prune_floor, on_disk, killed_at))
    # The agent's own code opens what is left and resumes above everything handed out.
    outbox = Outbox(path, POLICY)
    resumes_at = outbox.seqs.next_seq
    outbox.close()
    integrity, on_disk = check_file(path)
    figures.update(
        {
            "SIGKILLs (during open)": (cuts, during_open),
            "acknowledged readings (commit() returned them)": len(must_have),
            "checks of an acknowledged reading after a kill (sum over kills)": verified,
            "acknowledged readings missing": 0,
            "rows on disk at the end": len(on_disk),
            "highest seq handed out / next run starts at": (allocated_top, resumes_at),
            "seqs skipped between runs (never reported as handed out)": skipped,
            "integrity_check": integrity,
            "oldest reading a kill lost (s; commit interval, bound)": (
                round(max(lost_ages, default=0.0), 3),
                POLICY.commit_interval,
                WINDOW,
            ),
        }
    )
    assert max(lost_ages, default=0.0) <= WINDOW
    assert resumes_at > allocated_top
    assert integrity == "ok"
    assert len(must_have) > 1000, "the writer hardly wrote anything"


def oldest_lost(
    child: Child, start: int, prune_floor: int, on_disk: set[int], killed_at: float
) -> float:
    """Age at the kill of the oldest reading this run handed out that is not on disk (0 if none):
    each seq is dated by the first burst report that covers it."""
    oldest = 0.0
    low = start
    for high, at in child.allocations():
        missing = [seq for seq in range(low, high + 1) if seq > prune_floor and seq not in on_disk]
        if missing:
            oldest = max(oldest, killed_at - at)
        low = high + 1
    return oldest


def test_the_outbox_survives_power_cuts_and_keeps_every_acknowledged_reading(
    tmp_path: Path, figures: Figures
) -> None:
    power_cuts(tmp_path, figures, cuts=30, seed=7)


@pytest.mark.soak
@pytest.mark.timeout(900)  # minutes by design; the suite-wide 300 s is for `make test`
def test_soak_the_outbox_survives_power_cuts_and_keeps_every_acknowledged_reading(
    tmp_path: Path, figures: Figures
) -> None:
    power_cuts(tmp_path, figures, cuts=300, seed=77)
